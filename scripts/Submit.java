///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/cli/*.java
//SOURCES lib/flink/*.java
//JAVA_OPTIONS -XX:TieredStopAtLevel=1
//DESCRIPTION Submit a job (word-count, sum-job or any jar) over REST; wait until it runs; print its id.
package statelab;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import statelab.cli.CommandRunner;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Output;
import statelab.cli.PassThrough;
import statelab.flink.FlinkRest;
import statelab.flink.JobCatalog;
import statelab.flink.JobLauncher;
import statelab.flink.JobLauncher.JobSpec;
import statelab.flink.JobOptions;
import statelab.flink.JobLauncher.Restore;
import statelab.flink.JobRecord;
import statelab.flink.JobWatch;
import statelab.flink.RestOption;
import statelab.flink.SavepointPath;

/**
 * {@code submit JOB [-- ARGS...]}: uploads a job's thin jar to the cluster, runs it, and waits until the job
 * and all its tasks are RUNNING. JOB is a job of the checkout ({@code word-count}, {@code sum-job}; jbang
 * builds it) or, with {@code --jar}, any jar. Prints the job id.
 */
@Command(name = "submit", mixinStandardHelpOptions = true, version = "StateLab submit (Flink 2.3.0)",
        description = {"Submit a job to a Flink cluster over REST and wait until it and all its tasks run.",
                "JOB is word-count or sum-job (built by jbang), or use --jar; the job's own arguments go after --.",
                "Prints the job id."})
public final class Submit implements Callable<Integer> {
    @Mixin Output output;
    @Mixin RestOption rest;

    @Spec CommandSpec spec;

    @Parameters(paramLabel = "JOB [-- ARGS]", description = "The job (word-count, sum-job), then its arguments after --.")
    List<String> positional = new ArrayList<>();

    @Mixin JobOptions options;

    @Option(names = {"-s", "--from-savepoint"}, paramLabel = "PATH", description = "Start from this savepoint or checkpoint.")
    String fromSavepoint;

    public enum Wait { none, running, finished }

    @Option(names = "--wait", paramLabel = "UNTIL", defaultValue = "running",
            description = "Wait until the job is: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
    Wait wait;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "Deadline for --wait (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    /** What submit prints with --json. */
    public record Submitted(String jobId, String jobName, String job, String jar, String state, String restUrl, Integer parallelism,
                            List<String> programArgs, String fromSavepoint, long millis) {}

    /** What to submit and how long to wait for it: the typed form of this command's options. */
    public record Request(JobSpec spec, Restore restore, Wait until, Duration timeout) {}

    @Override
    public Integer call() {
        PassThrough split = PassThrough.split(spec, positional);
        String job = split.single("job");
        if (job != null && options.jar != null) {
            throw Failure.of(ExitCode.USAGE, "name a job or pass --jar, not both");
        }
        List<String> args = split.passed();
        Restore restore = fromSavepoint == null ? null : options.restoreFrom(SavepointPath.restorable(fromSavepoint, output));
        JobSpec jobSpec = JobLauncher.spec(job, options.jar, options.entryClass, List.copyOf(args), options.parallelism,
                Map.copyOf(options.config), output.progressLines());
        try (FlinkRest flink = rest.connect()) {
            Submitted submitted = submit(flink, new Request(jobSpec, restore, wait, timeout), output);
            warnIfItWillNotStay(jobSpec);
            output.result(submitted.jobId(), submitted);
            return ExitCode.OK.code;
        }
    }

    /**
     * Submits a job and waits as asked. A job left waiting for slots is withdrawn before {@link ExitCode#NO_SLOTS}
     * is thrown, so that it does not grab them later, unasked.
     */
    public static Submitted submit(FlinkRest flink, Request request, Output output) {
        Instant start = Instant.now();
        JobRecord record = JobLauncher.launch(flink, request.spec(), request.restore(), output.progressLines());
        output.progress("submitted job %s (%s)", record.jobId(), record.jobName());
        String state = "SUBMITTED";
        if (request.until() != Wait.none) {
            JobWatch watch = new JobWatch(flink, FlinkRest.parseJobId(record.jobId()), output.progressLines());
            try {
                state = watch.awaitRunning(request.timeout(), request.until() == Wait.finished).getJobStatus().name();
            } catch (Failure f) {
                if (f.exitCode() == ExitCode.NO_SLOTS) {
                    watch.cancelAndWait(Duration.ofSeconds(30));
                    output.progress("canceled job %s, which was waiting for slots", record.jobId());
                }
                throw f;
            }
        }
        return new Submitted(record.jobId(), record.jobName(), record.job(), record.jar(), state, record.restUrl(),
                request.spec().parallelism(), record.programArgs(), record.fromSavepoint(), Duration.between(start, Instant.now()).toMillis());
    }

    /**
     * word-count ends after its last word unless told to keep running, and a finished job cannot take a savepoint:
     * said here, once the job runs, rather than only by the savepoint that follows in a pipeline.
     */
    private void warnIfItWillNotStay(JobSpec jobSpec) {
        if (wait == Wait.running && JobCatalog.WORD_COUNT.equals(jobSpec.job()) && !jobSpec.programArgs().contains("--keep-running")) {
            output.warn("word-count finishes after its last word (a few seconds); to take a savepoint of it, submit it with "
                    + "-- --keep-running");
        }
    }

    public static void main(String[] args) {
        CommandRunner.main(new Submit(), args);
    }
}
