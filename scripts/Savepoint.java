///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/cli/*.java
//SOURCES lib/flink/*.java
//JAVA_OPTIONS -XX:TieredStopAtLevel=1
//DESCRIPTION Take a savepoint (native by default) of a job; print its path.
package statelab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.rest.messages.TriggerId;
import org.apache.flink.runtime.rest.messages.job.savepoints.SavepointInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import statelab.cli.CommandRunner;
import statelab.cli.Durations;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Output;
import statelab.cli.PipeInput;
import statelab.flink.FlinkRest;
import statelab.flink.JobRecord;
import statelab.flink.RestOption;
import statelab.flink.RootCause;
import statelab.flink.SavepointPath;

/**
 * {@code savepoint [JOB_ID]}: triggers a savepoint (native RocksDB files by default) of a job given as
 * argument or on stdin, polls it to completion, checks that the directory and its {@code _metadata} exist, and
 * prints the directory. The job's record (how it was submitted) is copied beside {@code _metadata} so that
 * {@code resume} can start the same job from it.
 */
@Command(name = "savepoint", mixinStandardHelpOptions = true, version = "StateLab savepoint (Flink 2.3.0)",
        description = {"Take a savepoint of a job (id as argument, or piped from submit) and print its directory.",
                "Native format by default: the RocksDB SST files themselves, which swap-sst rewrites."})
public final class Savepoint implements Callable<Integer> {
    @Mixin Output output;
    @Mixin RestOption rest;

    @Parameters(index = "0", arity = "0..1", paramLabel = "JOB_ID", description = "The job (default: read from stdin).")
    String jobIdArg;

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "NATIVE",
            description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    SavepointFormatType format;

    @Option(names = "--stop", description = "Stop the job with the savepoint (stop-with-savepoint).")
    boolean stop;

    @Option(names = "--drain", description = "With --stop: drain the pipeline (emit MAX_WATERMARK) before stopping.")
    boolean drain;

    @Option(names = "--dir", paramLabel = "DIR", description = "Target directory (default: the cluster's savepoint-dir).")
    String dir;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "Deadline for the savepoint to complete (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    /** What savepoint prints with --json. */
    record Taken(String savepoint, String location, String jobId, String format, boolean stopped, long files, long bytes,
                 long millis) {}

    @Override
    public Integer call() throws IOException {
        if (drain && !stop) {
            throw Failure.of(ExitCode.USAGE, "--drain only applies with --stop");
        }
        JobID jobId = FlinkRest.parseJobId(PipeInput.argumentOrStdin(jobIdArg, "jobId", "job id", "submit"));
        String target = dir == null ? null : SavepointPath.local(dir).toUri().toString();
        Instant start = Instant.now();
        try (FlinkRest flink = rest.connect()) {
            flink.job(jobId); // a clear "not found" before anything is triggered
            TriggerId trigger = stop ? flink.stopWithSavepoint(jobId, target, format, drain) : flink.triggerSavepoint(jobId, target, format);
            output.progress("%s savepoint of job %s triggered (%s)", format, jobId, trigger);
            String location = await(flink, jobId, trigger, start.plus(timeout));
            output.progress("savepoint completed in %s: %s", Durations.format(Duration.between(start, Instant.now())), location);
            if (!location.startsWith("file:") && !location.startsWith("/")) {
                output.warn("savepoint is not on the local file system (%s); not checked, not annotated", location);
                output.result(location, new Taken(location, location, jobId.toString(), format.name(), stop, -1, -1,
                        Duration.between(start, Instant.now()).toMillis()));
                return ExitCode.OK.code;
            }
            Path path = SavepointPath.directory(location);
            Optional<JobRecord> record = JobRecord.load(jobId.toString());
            if (record.isPresent()) {
                record.get().saveBeside(path);
            } else {
                output.warn("job %s was not submitted by StateLab: resume will need --job or --jar", jobId);
            }
            long[] size = measure(path);
            output.result(path.toString(), new Taken(path.toString(), location, jobId.toString(), format.name(), stop, size[0], size[1],
                    Duration.between(start, Instant.now()).toMillis()));
            return ExitCode.OK.code;
        }
    }

    private String await(FlinkRest flink, JobID jobId, TriggerId trigger, Instant deadline) {
        while (true) {
            Optional<SavepointInfo> done = flink.savepointStatus(jobId, trigger);
            if (done.isPresent()) {
                if (done.get().getFailureCause() != null) {
                    String cause = RootCause.of(org.apache.flink.util.ExceptionUtils.stringifyException(done.get().getFailureCause()));
                    throw Failure.of(ExitCode.JOB_FAILED, "savepoint of job %s failed: %s", jobId, cause);
                }
                return done.get().getLocation();
            }
            if (Instant.now().isAfter(deadline)) {
                throw Failure.of(ExitCode.TIMEOUT, "savepoint of job %s not complete after %ds (trigger %s); it may still complete",
                        jobId, timeout.toSeconds(), trigger);
            }
            Durations.sleep(Duration.ofMillis(100));
        }
    }

    /** Number of files and bytes in the savepoint directory. */
    private static long[] measure(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            long[] size = new long[2];
            files.filter(Files::isRegularFile).forEach(f -> {
                size[0]++;
                size[1] += f.toFile().length();
            });
            return size;
        }
    }

    public static void main(String[] args) {
        CommandRunner.main(new Savepoint(), args);
    }
}
