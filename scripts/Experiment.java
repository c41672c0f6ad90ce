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
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.HexBytes;
import statelab.cli.Output;
import statelab.cli.PassThrough;
import statelab.flink.FlinkRest;
import statelab.flink.JobCatalog;
import statelab.flink.JobLauncher;
import statelab.flink.JobWatch;
import statelab.flink.RestOption;
import statelab.flink.SavepointPath;
import statelab.flink.FlinkFiles;

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

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "block", converter = SwapSst.ModeConverter.class,
            completionCandidates = SwapSst.ModeCandidates.class,
            description = "How swap-sst alters the SST: full, block, same-size or corrupt (see swap-sst --help; default: ${DEFAULT-VALUE}).")
    SwapSst.Mode mode;

    @Option(names = "--matrix", description = "Run the experiment once untampered and once per --mode, each on a fresh job and "
            + "savepoint, and print one table: mode, what changed, Flink's verdict and root cause (or the restored values).")
    boolean matrix;

    @Option(names = {"-p", "--parallelism"}, paramLabel = "N", description = "Job parallelism (default: the cluster's).")
    Integer parallelism;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "Deadline for each waiting step (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--no-verify", negatable = false, description = "Do not verify a RESTORED: instead of a savepoint of the restored "
            + "job showing which values it runs on (RESTORED_ALTERED), word-count replays its words and its output is shown.")
    boolean noVerify;

    @Option(names = "--keep-job", description = "Leave the resumed job running at the end (default: cancel it).")
    boolean keepJob;

    /**
     * What experiment prints with --json: every step's own record, and the verdict. A step that did not run (the
     * control's swap-sst) is left out, not written as null.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Record(String job, String mode, Submit.Submitted submit, Savepoint.Taken savepoint, SwapSst.Swapped swapSst,
                         Resume.Resumed resume, String verdict, List<String> restoredOutput, long millis) {}

    /** One row of {@code --matrix}: a mode (or {@code none}), what it changes, and the whole run. */
    public record Row(String mode, String changes, Record run) {}

    @Override
    public Integer call() throws IOException {
        PassThrough split = PassThrough.split(spec, positional);
        byte[] newValue = control ? null : HexBytes.parse("--value", value);
        String job = split.single("job") == null ? JobCatalog.WORD_COUNT : split.single("job");
        if (matrix) {
            if (control) {
                throw Failure.of(ExitCode.USAGE, "--matrix runs the untampered baseline itself: drop --control");
            }
            List<Row> rows = matrix(job, split.passed(), newValue);
            output.result(table(rows), rows);
            return ExitCode.OK.code;
        }
        Record record = run(job, split.passed(), newValue, mode);
        output.result(record.resume().plain(), record);
        return record.resume().exitCode().code;
    }

    /**
     * The experiment once without a tamper and once per mode, each on its own job and savepoint, in the order of
     * {@link SwapSst.Mode}. A row whose experiment stops (a refused tamper, a savepoint that fails) says why and
     * the matrix goes on.
     */
    List<Row> matrix(String job, List<String> passed, byte[] newValue) throws IOException {
        List<Row> rows = new ArrayList<>();
        rows.add(new Row("none", "nothing (the control run)", run(job, passed, null, null)));
        for (SwapSst.Mode m : SwapSst.Mode.values()) {
            output.progress("matrix: --mode %s", m);
            try {
                rows.add(new Row(m.toString(), m.changes, run(job, passed, newValue, m)));
            } catch (Failure f) {
                output.warn("--mode %s: %s", m, f.getMessage());
                rows.add(new Row(m.toString(), m.changes, new Record(job, m.toString(), null, null, null, null,
                        "STOPPED: " + f.getMessage(), null, 0)));
            }
        }
        return rows;
    }

    /** The matrix as a table, one row per mode: what changed, the SST's size before → after, verdict, why or what. */
    static String table(List<Row> rows) {
        StringBuilder sb = new StringBuilder("| mode | what changed | SST bytes | verdict | root cause, or the restored job's output |\n"
                + "|---|---|---|---|---|\n");
        for (Row row : rows) {
            Record r = row.run();
            SwapSst.Swapped s = r.swapSst();
            String bytes = s == null ? "-" : s.bytesBefore() + (s.bytesAfter() == s.bytesBefore() ? " (same)" : " → " + s.bytesAfter());
            String verdict = r.resume() == null ? r.verdict() : r.resume().verdict();
            String why = r.resume() == null ? ""
                    : r.resume().rootCause() != null ? shortPaths(r.resume().rootCause())
                    : r.resume().proof() != null ? r.resume().proof().summary()
                    : r.restoredOutput() != null && !r.restoredOutput().isEmpty()
                            ? "runs on the altered values: " + String.join(" ", r.restoredOutput())
                    : r.resume().reason() != null ? r.resume().reason() : "";
            sb.append("| ").append(row.mode()).append(" | ").append(row.changes())
                    .append(s == null ? "" : "; " + s.changed().size() + " value(s) → " + (s.changed().isEmpty() ? "" : s.changed().get(0).newValue()))
                    .append(" | ").append(bytes).append(" | ").append(verdict).append(" | ")
                    .append(why.replace("|", "\\|").replace('\n', ' ')).append(" |\n");
        }
        return sb.toString().stripTrailing();
    }

    /** A root cause for a table cell: every path cut to its file name, at most 200 characters. */
    static String shortPaths(String cause) {
        String s = cause.replaceAll("/(?:[^\\s/]+/)+([^\\s/]+)", "…/$1");
        return s.length() <= 200 ? s : s.substring(0, 199) + "…";
    }

    /** The experiment on {@code job}; {@code newValue} null is the control run (no rewrite). */
    Record run(String job, List<String> passed, byte[] newValue, SwapSst.Mode mode) throws IOException {
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
            // a savepoint on S3 (the cluster's savepoint-dir): swap-sst fetches what it rewrites and uploads the
            // tamper; resume reads the records from a local copy
            boolean remote = FlinkFiles.isRemote(taken.savepoint());
            var dir = SavepointPath.records(taken.savepoint(), output);
            SwapSst.Request tamper = newValue == null ? null : SwapSst.Request.lastValues(dir, last, newValue, mode, largest);
            SwapSst.Swapped swapped = tamper == null ? null : step("swap-sst", () -> remote
                    ? SwapSst.swapRemote(FlinkFiles.uri(taken.savepoint()), tamper, output)
                    : SwapSst.swap(tamper, output));
            // verified: the restored job must not change its state before the proof savepoint, so no replay; otherwise
            // word-count counts the same words again after the restore, so restored counts show in its output
            boolean verify = !noVerify;
            List<String> resumeArgs = wordCount && !verify ? List.of("--replay") : List.of();
            int printedBefore = wordCount && swapped != null && !verify ? flink.taskManagerStdout().length() : -1;
            Resume.Resumed resumed = step("resume", () -> Resume.resume(flink, Resume.Request.recorded(dir, resumeArgs, timeout, verify), output));
            List<String> restoredOutput = printedBefore >= 0 && resumed.exitCode().code == 0
                    ? RestoredOutput.of(flink, printedBefore, swapped.changed(), Duration.ofSeconds(20)) : null;
            if (!keepJob && resumed.verdict().startsWith("RESTORED")) {
                new JobWatch(flink, FlinkRest.parseJobId(resumed.jobId()), output.progressLines()).cancelAndWait(Duration.ofSeconds(30));
            }
            output.progress("verdict after %s: %s", Durations.format(Duration.between(start, Instant.now())), resumed.verdict());
            return new Record(jobSpec.job(), mode == null || newValue == null ? null : mode.toString(), submitted, taken, swapped,
                    resumed, resumed.verdict(), restoredOutput, Duration.between(start, Instant.now()).toMillis());
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

    /**
     * The proof of what a restored job runs on: the lines its print sink wrote after the resume (TaskManager
     * stdout, read over REST) about the keys swap-sst changed, e.g. word-count's {@code (zzzz,100)} after the
     * count was set to 99. At most two lines per key, waited for until {@code within} passes.
     */
    static final class RestoredOutput {
        private RestoredOutput() {}

        static List<String> of(FlinkRest flink, int printedBefore, List<SwapSst.Changed> changed, Duration within) {
            List<String> words = changed.stream().map(c -> c.key().replaceFirst(" \\(key group .*$", "")).distinct().toList();
            Instant deadline = Instant.now().plus(within);
            List<String> lines = new ArrayList<>();
            while (true) {
                // the whole .out file each time: a second between reads keeps that cheap
                String printed = flink.taskManagerStdout();
                String after = printed.length() >= printedBefore ? printed.substring(printedBefore) : printed;
                lines.clear();
                for (String word : words) {
                    after.lines().filter(l -> l.contains("(" + word + ",")).limit(2).forEach(lines::add);
                }
                boolean all = words.stream().allMatch(w -> lines.stream().anyMatch(l -> l.contains("(" + w + ",")));
                if (all || Instant.now().isAfter(deadline)) {
                    return List.copyOf(lines);
                }
                Durations.sleep(Duration.ofSeconds(1));
            }
        }
    }

    public static void main(String[] args) {
        CommandRunner.main(new Experiment(), args);
    }
}
