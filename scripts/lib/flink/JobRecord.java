package statelab.flink;

import com.fasterxml.jackson.databind.DeserializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import statelab.cli.Output;
import statelab.cli.Workspace;

/**
 * What was submitted, so the same job can be started again from a savepoint: {@code submit} (and
 * {@code resume}) write one per job under {@code $STATELAB_HOME/jobs/}, and {@code savepoint} copies it into
 * the savepoint directory as {@value #SIDECAR}, where {@code resume} finds it. Flink ignores the extra file.
 *
 * @param job the checkout's job name (word-count, sum-job), or null for a jar given by path
 * @param jar the jar's path when no job name was given
 * @param config job configuration given with {@code -D} (passed in Flink's jar-run request)
 */
public record JobRecord(String jobId, String restUrl, String jobName, String job, String jar, String entryClass,
                        List<String> programArgs, Integer parallelism, Map<String, String> config, String fromSavepoint,
                        String submittedAt) {
    public static final String SIDECAR = "_statelab-job.json";

    private static Path recordFile(String jobId) {
        return Workspace.home().resolve("jobs").resolve(jobId + ".json");
    }

    public void save() {
        Workspace.writeAtomically(recordFile(jobId), Output.toJson(this).getBytes(StandardCharsets.UTF_8));
    }

    public static Optional<JobRecord> load(String jobId) {
        return read(recordFile(jobId));
    }

    /** Writes the record beside a savepoint's {@code _metadata}. */
    public void saveBeside(Path savepointDir) {
        Workspace.writeAtomically(savepointDir.resolve(SIDECAR), Output.toJson(this).getBytes(StandardCharsets.UTF_8));
    }

    public static Optional<JobRecord> loadBeside(Path savepointDir) {
        return read(savepointDir.resolve(SIDECAR));
    }

    private static Optional<JobRecord> read(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Output.mapper().readerFor(JobRecord.class)
                    .without(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .readValue(file.toFile()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
