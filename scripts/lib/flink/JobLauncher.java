package statelab.flink;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.RecoveryClaimMode;
import org.apache.flink.runtime.webmonitor.handlers.JarRunRequestBody;
import statelab.cli.ExitCode;
import statelab.cli.Failure;

/**
 * Starts a job the way the web UI does: upload the jar, run its main() on the JobManager (which builds the job
 * graph there, next to Flink's own classes), then remove the upload. Every start is recorded as a
 * {@link JobRecord}, so a savepoint of the job can say how to start it again.
 */
public final class JobLauncher {
    private JobLauncher() {}

    /** What to run. {@code job} is the checkout's job name, or null when {@code jar} was given directly. */
    public record JobSpec(String job, Path jar, String entryClass, List<String> programArgs, Integer parallelism,
                          Map<String, String> config) {}

    /** Where to restore from; null for a fresh start. */
    public record Restore(String savepoint, RecoveryClaimMode claimMode, boolean allowNonRestoredState) {}

    /** The spec of a job by name (built by jbang when needed) or by jar path. */
    public static JobSpec spec(String job, Path jar, String entryClass, List<String> programArgs, Integer parallelism,
                               Map<String, String> config, Consumer<String> progress) {
        if (job != null) {
            JobCatalog.JobJar built = JobCatalog.resolve(job, progress);
            return new JobSpec(built.name(), built.jar(), entryClass != null ? entryClass : built.mainClass(), programArgs,
                    parallelism, config);
        }
        if (jar == null) {
            throw Failure.of(ExitCode.USAGE, "name a job (word-count, sum-job) or pass --jar");
        }
        if (!Files.isRegularFile(jar)) {
            throw Failure.of(ExitCode.NOT_FOUND, "jar not found: %s", jar);
        }
        return new JobSpec(null, jar.toAbsolutePath(), entryClass, programArgs, parallelism, config);
    }

    public static JobRecord launch(FlinkRest rest, JobSpec spec, Restore restore, Consumer<String> progress) {
        if (spec.parallelism() != null && spec.parallelism() < 1) {
            throw Failure.of(ExitCode.USAGE, "--parallelism must be at least 1, got %d", spec.parallelism());
        }
        String what = spec.job() != null ? spec.job() : spec.jar().getFileName().toString();
        progress.accept("uploading " + spec.jar().getFileName() + " to " + rest.url());
        String jarId = rest.uploadJar(spec.jar());
        JobID jobId;
        try {
            progress.accept("running " + what + (restore != null ? " from " + restore.savepoint() : ""));
            jobId = rest.runJar(jarId, new JarRunRequestBody(spec.entryClass(), spec.programArgs(), spec.parallelism(), null,
                    restore != null && restore.allowNonRestoredState(), restore != null ? restore.savepoint() : null,
                    restore != null ? restore.claimMode() : null, spec.config()));
        } catch (Failure f) {
            if (f.exitCode() == ExitCode.UNREACHABLE) {
                throw f;
            }
            throw new Failure(ExitCode.JOB_FAILED, "could not start " + what + ": " + f.getMessage(), f);
        } finally {
            try {
                rest.deleteJar(jarId);
            } catch (Failure ignored) {
                // the job runs from the blob store; a leftover upload is only clutter in the web UI
            }
        }
        String name = rest.job(jobId).getName();
        JobRecord record = new JobRecord(jobId.toString(), rest.url().toString(), name, spec.job(),
                spec.job() == null ? spec.jar().toString() : null, spec.entryClass(), spec.programArgs(), spec.parallelism(),
                spec.config(), restore != null ? restore.savepoint() : null, Instant.now().toString());
        record.save();
        return record;
    }
}
