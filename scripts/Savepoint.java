///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/cli/*.java
//SOURCES lib/flink/*.java
//JAVA_OPTIONS -XX:TieredStopAtLevel=1
//DESCRIPTION Take a savepoint (native by default) of a job; print its path.
package statelab;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.runtime.rest.messages.job.JobDetailsInfo;
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
import statelab.cli.Poll;
import statelab.flink.FlinkRest;
import statelab.flink.JobCatalog;
import statelab.flink.JobRecord;
import statelab.flink.RestOption;
import statelab.flink.RootCause;
import statelab.flink.SavepointPath;
import statelab.flink.FlinkFiles;
import statelab.flink.RemoteSavepoint;

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

    @Option(names = "--dir", paramLabel = "DIR", description = "Target directory, a path or s3://BUCKET/PATH (default: the cluster's savepoint-dir).")
    String dir;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "Deadline for the savepoint to complete (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    /** What savepoint prints with --json. */
    public record Taken(String savepoint, String location, String jobId, String format, boolean stopped, long files, long bytes,
                        long millis) {}

    /** Which savepoint to take: the typed form of this command's options ({@code dir} null: the cluster's). */
    public record Request(JobID jobId, SavepointFormatType format, boolean stop, boolean drain, String dir, Duration timeout) {
        public static Request nativeOf(JobID jobId, Duration timeout) {
            return new Request(jobId, SavepointFormatType.NATIVE, false, false, null, timeout);
        }
    }

    @Override
    public Integer call() throws IOException {
        if (drain && !stop) {
            throw Failure.of(ExitCode.USAGE, "--drain only applies with --stop");
        }
        JobID jobId = FlinkRest.parseJobId(PipeInput.argumentOrStdin(jobIdArg, "jobId", "job id", "submit"));
        String target = dir == null ? null : FlinkFiles.isRemote(dir) ? FlinkFiles.uri(dir).toString() : SavepointPath.local(dir).toUri().toString();
        try (FlinkRest flink = rest.connect()) {
            Taken taken = take(flink, new Request(jobId, format, stop, drain, target, timeout), output);
            output.result(taken.savepoint(), taken);
            return ExitCode.OK.code;
        }
    }

    /**
     * Triggers the savepoint, polls it to completion, checks the directory, and copies the job's record beside
     * {@code _metadata}. A job that is no longer running is said to be so (with its state and when it ended)
     * before anything is triggered, instead of Flink's "could not find job".
     */
    public static Taken take(FlinkRest flink, Request request, Output output) throws IOException {
        Instant start = Instant.now();
        JobID jobId = request.jobId();
        TriggerId trigger;
        try { // no look at the job first: a round trip every savepoint would pay, for an error only some meet
            trigger = request.stop()
                    ? flink.stopWithSavepoint(jobId, request.dir(), request.format(), request.drain())
                    : flink.triggerSavepoint(jobId, request.dir(), request.format());
        } catch (Failure f) {
            requireRunning(flink, jobId); // an ended job, or one the cluster never had, says so
            throw f;
        }
        output.progress("%s savepoint of job %s triggered (%s)", request.format(), jobId, trigger);
        String location = await(flink, jobId, trigger, start.plus(request.timeout()), request.timeout());
        output.progress("savepoint completed in %s: %s", Durations.format(Duration.between(start, Instant.now())), location);
        boolean remote = FlinkFiles.isRemote(location);
        // a remote savepoint (s3://…) is checked and annotated through a local copy of its _metadata
        URI uri = remote ? FlinkFiles.uri(location) : null;
        Path path = remote ? RemoteSavepoint.stage(uri, name -> false, output) : SavepointPath.directory(location);
        Optional<JobRecord> record = JobRecord.load(jobId.toString());
        if (record.isPresent()) {
            record.get().saveBeside(path);
            if (remote) {
                RemoteSavepoint.publish(path, output);
            }
        } else {
            output.warn("job %s was not submitted by StateLab: resume will need --job or --jar", jobId);
        }
        long[] size = remote ? RemoteSavepoint.measure(uri, output) : measure(path);
        return new Taken(remote ? uri.toString() : path.toString(), location, jobId.toString(), request.format().name(), request.stop(),
                size[0], size[1], Duration.between(start, Instant.now()).toMillis());
    }

    /** Fails with what happened to the job when it is no longer running: a savepoint needs a running job. */
    private static void requireRunning(FlinkRest flink, JobID jobId) {
        JobDetailsInfo job = flink.job(jobId); // a clear "not found" for an id the cluster never had
        JobStatus status = job.getJobStatus();
        if (!status.isTerminalState()) {
            return;
        }
        String ended = job.getEndTime() > 0
                ? " (ended at " + LocalTime.ofInstant(Instant.ofEpochMilli(job.getEndTime()), ZoneId.systemDefault())
                        .format(DateTimeFormatter.ofPattern("HH:mm:ss")) + ", "
                        + Durations.format(Duration.between(Instant.ofEpochMilli(job.getEndTime()), Instant.now())) + " ago)"
                : "";
        boolean wordCount = JobRecord.load(jobId.toString()).map(r -> JobCatalog.WORD_COUNT.equals(r.job())).orElse(false);
        String hint = wordCount ? "; word-count ends after its last word: submit it with -- --keep-running to take a savepoint" : "";
        throw Failure.of(status == JobStatus.FAILED ? ExitCode.JOB_FAILED : ExitCode.NOT_FOUND,
                "job %s (%s) is %s%s: a savepoint needs a running job%s", jobId, job.getName(), status, ended, hint);
    }

    /** Polls the savepoint's status until it completes; its failure cause, or the deadline, ends the command. */
    private static String await(FlinkRest flink, JobID jobId, TriggerId trigger, Instant deadline, Duration timeout) {
        SavepointInfo done = Poll.until(deadline, () -> flink.savepointStatus(jobId, trigger)).orElseThrow(() -> Failure.of(
                ExitCode.TIMEOUT, "savepoint of job %s not complete after %ds (trigger %s); it may still complete",
                jobId, timeout.toSeconds(), trigger));
        if (done.getFailureCause() != null) {
            requireRunning(flink, jobId); // Flink accepts a trigger for an ended job, or an unknown one, and fails it here
            String cause = RootCause.of(org.apache.flink.util.ExceptionUtils.stringifyException(done.getFailureCause()));
            throw Failure.of(ExitCode.JOB_FAILED, "savepoint of job %s failed: %s", jobId, cause);
        }
        return done.getLocation();
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
