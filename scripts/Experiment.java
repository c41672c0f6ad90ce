///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/cli/*.java
//SOURCES lib/flink/*.java
//SOURCES lib/savepoint/*.java
//SOURCES Submit.java Savepoint.java SwapSst.java Resume.java
//JAVA_OPTIONS -XX:TieredStopAtLevel=1
//DESCRIPTION The whole tamper experiment on the local cluster: submit, savepoint, swap-sst, resume, verdict.
package statelab;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import statelab.cli.CommandRunner;
import statelab.cli.Durations;
import statelab.cli.HexBytes;
import statelab.cli.Output;
import statelab.cli.PassThrough;
import statelab.flink.FlinkRest;
import statelab.flink.JobCatalog;
import statelab.flink.JobLauncher;
import statelab.flink.JobWatch;
import statelab.flink.RestOption;
import statelab.flink.SavepointPath;

/**
 * {@code experiment [JOB] [-- JOB_ARGS]}: the seed's whole experiment in one command, composed of the typed
 * operations the pipeline's commands run: {@link Submit#submit} the job (word count by default) and wait until it
 * runs and has completed a checkpoint, {@link Savepoint#take} a native savepoint, {@link SwapSst#swap} the last N
 * values of its newest SST, {@link Resume#resume} the job from it, and print the verdict.
 * {@code --control} skips the rewrite, for the untampered baseline. Each step is reported on stderr; stdout
 * carries the verdict line (or, with --json, the whole record). The exit code is the verdict's.
 */
@Command(name = "experiment", mixinStandardHelpOptions = true, version = "StateLab experiment (Flink 2.3.0)",
        description = {"Run the tamper experiment on a cluster: submit → savepoint → swap-sst → resume → verdict.",
                "Start a local cluster first: jbang cluster start"})
public final class Experiment implements Callable<Integer> {
    @Mixin Output output;
    @Mixin RestOption rest;

    @Spec CommandSpec spec;

    @Parameters(paramLabel = "JOB [-- ARGS]", description = "The job (default: word-count), then its arguments after --.")
    List<String> positional = new ArrayList<>();

    @Option(names = {"-n", "--last"}, paramLabel = "N", defaultValue = "5", description = "Entries to alter (default: ${DEFAULT-VALUE}).")
    int last;

    @Option(names = "--value", paramLabel = "HEX", defaultValue = "0000000000000000", description = "New value (default: ${DEFAULT-VALUE}).")
    String value;

    @Option(names = "--largest", description = "Pick the SST by the seed's rule (largest file) instead of _metadata.")
    boolean largest;

    @Option(names = "--control", description = "Do not alter the savepoint: the untampered baseline.")
    boolean control;

    @Option(names = {"-p", "--parallelism"}, paramLabel = "N", description = "Job parallelism (default: the cluster's).")
    Integer parallelism;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "Deadline for each waiting step (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--keep-job", description = "Leave the resumed job running at the end (default: cancel it).")
    boolean keepJob;

    /**
     * What experiment prints with --json: every step's own record, and the verdict. A step that did not run (the
     * control's swap-sst) is left out, not written as null.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Record(String job, Submit.Submitted submit, Savepoint.Taken savepoint, SwapSst.Swapped swapSst,
                         Resume.Resumed resume, String verdict, long millis) {}

    @Override
    public Integer call() throws IOException {
        PassThrough split = PassThrough.split(spec, positional);
        byte[] newValue = control ? null : HexBytes.parse("--value", value);
        String job = split.single("job") == null ? JobCatalog.WORD_COUNT : split.single("job");
        Record record = run(job, split.passed(), newValue);
        output.result(record.resume().plain(), record);
        return record.resume().exitCode().code;
    }

    /** The experiment on {@code job}; {@code newValue} null is the control run (no rewrite). */
    Record run(String job, List<String> passed, byte[] newValue) throws IOException {
        Instant start = Instant.now();
        var resolved = JobLauncher.spec(job, null, null, List.of(), parallelism, Map.of(), output.progressLines());
        boolean wordCount = JobCatalog.WORD_COUNT.equals(resolved.job());
        List<String> jobArgs = new ArrayList<>(passed);
        if (wordCount && !jobArgs.contains("--keep-running")) {
            jobArgs.add("--keep-running"); // stay RUNNING for the savepoint
        }
        var jobSpec = new JobLauncher.JobSpec(resolved.job(), resolved.jar(), resolved.entryClass(), List.copyOf(jobArgs),
                resolved.parallelism(), resolved.config());
        try (FlinkRest flink = rest.connect()) {
            Submit.Submitted submitted = step("submit", () -> Submit.submit(flink,
                    new Submit.Request(jobSpec, null, Submit.Wait.running, timeout), output));
            var jobId = FlinkRest.parseJobId(submitted.jobId());
            // a savepoint at the first instant of RUNNING holds next to nothing; after a checkpoint the job has counted
            new JobWatch(flink, jobId, output.progressLines()).awaitCompletedCheckpoint(timeout);
            Savepoint.Taken taken = step("savepoint", () -> Savepoint.take(flink, Savepoint.Request.nativeOf(jobId, timeout), output));
            var dir = SavepointPath.directory(taken.savepoint());
            SwapSst.Swapped swapped = newValue == null ? null
                    : step("swap-sst", () -> SwapSst.swap(SwapSst.Request.lastValues(dir, last, newValue, largest), output));
            // after the restore, word-count counts the same words again, so restored counts show in its output
            List<String> resumeArgs = wordCount ? List.of("--replay") : List.of();
            Resume.Resumed resumed = step("resume", () -> Resume.resume(flink, Resume.Request.recorded(dir, resumeArgs, timeout), output));
            if (!keepJob && resumed.exitCode().code == 0) {
                new JobWatch(flink, FlinkRest.parseJobId(resumed.jobId()), output.progressLines()).cancelAndWait(Duration.ofSeconds(30));
            }
            output.progress("verdict after %s: %s", Durations.format(Duration.between(start, Instant.now())), resumed.verdict());
            return new Record(jobSpec.job(), submitted, taken, swapped, resumed, resumed.verdict(),
                    Duration.between(start, Instant.now()).toMillis());
        }
    }

    /** One step of the experiment, its duration reported on stderr; a failure ends the experiment with its exit code. */
    private <T> T step(String name, Step<T> step) throws IOException {
        Instant t = Instant.now();
        T result = step.run();
        output.progress("%-9s done (%s)", name, Durations.format(Duration.between(t, Instant.now())));
        return result;
    }

    private interface Step<T> {
        T run() throws IOException;
    }

    public static void main(String[] args) {
        CommandRunner.main(new Experiment(), args);
    }
}
