///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/cli/*.java
//SOURCES lib/flink/*.java
//SOURCES lib/cluster/*.java
//SOURCES lib/verify/*.java
//SOURCES lib/savepoint/*.java
//SOURCES lib/sst/format/*.java
//SOURCES lib/sst/rewrite/*.java
//SOURCES Submit.java Savepoint.java Resume.java SwapSst.java Edit.java Chaos.java
//JAVA_OPTIONS -XX:TieredStopAtLevel=1
//DESCRIPTION Run the running-sum job to its end, under TaskManager kills, a savepoint or a tamper if asked, and verify its committed output is exactly once.
package statelab;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.execution.SavepointFormatType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import statelab.cli.CommandRunner;
import statelab.cli.Durations;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Jbang;
import statelab.cli.KebabEnum;
import statelab.cli.Output;
import statelab.cli.Workspace;
import statelab.cluster.InstanceOption;
import statelab.cluster.LocalCluster;
import statelab.flink.FlinkRest;
import statelab.flink.JobCatalog;
import statelab.flink.JobLauncher;
import statelab.flink.JobLauncher.JobSpec;
import statelab.flink.JobWatch;
import statelab.flink.RestOption;
import statelab.verify.SumOutput;
import statelab.verify.SumOutput.Expectation;
import statelab.verify.SumOutput.Report;

/**
 * {@code sum-job}: the running-sum job ({@code jobs/SumJob.java}) as an end-to-end exactly-once test, checked from
 * outside the job: it is submitted, run to its end, and its committed output verified by {@link SumOutput} (one
 * line per input record, in order, each the running sum so far, no duplicate, no gap). Faults on the way, as asked:
 * {@code --kill-tm N} SIGKILLs the local cluster's TaskManager N times ({@link Chaos}); {@code --savepoint-midway}
 * stops the job with a savepoint halfway and resumes it; {@code --tamper MODE} alters the sum in that savepoint
 * before the resume. {@code --local} runs the job embedded (Flink's MiniCluster in a JVM of its own), no faults.
 * With {@code --verify DIR} only an existing output is checked.
 *
 * <p>Prints {@code EXACTLY_ONCE_OK} or {@code EXACTLY_ONCE_BROKEN} with the first problem's file and line (exit 0 or
 * 14); a tampered savepoint Flink refuses gives resume's verdict ({@code RESTORE_FAILED}, exit 10) at once.
 */
@Command(name = "sum-job", mixinStandardHelpOptions = true, version = "StateLab sum-job (Flink 2.3.0)",
        description = {"Run the running-sum job to its end and verify its committed output is exactly once:",
                "one line per input record, in order, each the running sum so far, no duplicate, no gap.",
                "Faults on the way: --kill-tm N (SIGKILL the local cluster's TaskManager), --savepoint-midway, --tamper MODE.",
                "Prints EXACTLY_ONCE_OK, or EXACTLY_ONCE_BROKEN with the first problem's file and line (exit 14)."})
public final class SumJobCommand implements Callable<Integer> {
    /** Records per second when faults are asked for and no --rate is given: 20,000 records take 80 s. */
    static final double FAULT_RATE = 250;
    /** The job's keyed state (SumJob.STATE_NAME), one key: the constant 0. */
    static final String SUM_STATE = "sum";

    @Mixin Output output;
    @Mixin RestOption rest;
    @Mixin InstanceOption instance;

    @Option(names = "--records", paramLabel = "N", defaultValue = "20000", description = "Zeros before the final value (default: ${DEFAULT-VALUE}).")
    long records;

    @Option(names = "--initial", paramLabel = "V", defaultValue = "10", description = "The sum's start (default: ${DEFAULT-VALUE}).")
    long initial;

    @Option(names = "--final", paramLabel = "V", defaultValue = "990", description = "The last value added (default: ${DEFAULT-VALUE}).")
    long last;

    @Option(names = "--rate", paramLabel = "R", description = "Records per second at the source, 0 for unthrottled "
            + "(default: 0; with faults " + "250, so that the default run lasts 80 s).")
    Double rate;

    @Option(names = "--delay-ms", paramLabel = "MS", defaultValue = "0",
            description = "Sleep per record in the sum operator: backpressure, and slow checkpoints (default: ${DEFAULT-VALUE}).")
    long delayMs;

    @Option(names = "--slow-checkpoint-ms", paramLabel = "MS",
            description = "The sum operator's snapshot takes this long (default: 0; 1500 with --kill-at mid-checkpoint).")
    Long slowCheckpointMs;

    @Option(names = "--checkpoint-interval", paramLabel = "MS",
            description = "The job's checkpoint interval (default: 1000; 3000 with --kill-at checkpoint or mid-checkpoint).")
    Long checkpointInterval;

    @Option(names = "--output", paramLabel = "DIR",
            description = "Where the job writes (must not exist yet; default: output/sum-job-<UTC time> in the working directory). "
                    + "The TaskManager must see it at the same path.")
    Path outputDir;

    @Option(names = "--verify", paramLabel = "DIR", description = "Only verify the output already in DIR (with --records, --initial, --final as it was run).")
    Path verifyOnly;

    @Option(names = "--local", description = "Run the job embedded, in Flink's MiniCluster in a JVM of its own, instead of on the cluster (no faults).")
    boolean local;

    @Option(names = "--kill-tm", paramLabel = "N", defaultValue = "0",
            description = "SIGKILL the TaskManager of the local cluster in --dir N times while the job runs, a replacement started each time (chaos).")
    int killTm;

    @Option(names = "--kill-at", paramLabel = "WHEN", converter = Chaos.KillAtConverter.class, completionCandidates = Chaos.KillAtCandidates.class,
            description = "Where the kills land: random, checkpoint, mid-checkpoint (default: random).")
    Chaos.KillAt killAt;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the kills' random pauses (default: random; printed).")
    Long seed;

    @Option(names = "--savepoint-midway", description = "Halfway, stop the job with a native savepoint and resume it from that savepoint.")
    boolean savepointMidway;

    @Option(names = "--tamper", paramLabel = "MODE", converter = TamperConverter.class, completionCandidates = TamperCandidates.class,
            description = {"As --savepoint-midway, with the sum in the savepoint raised by one before the resume: edit (a consistent "
                    + "edit), or a swap-sst mode (full, block, same-size, corrupt). A refused restore is the verdict; "
                    + "a restored one makes the output diverge, and the verifier says where."})
    Tamper tamper;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m", description = "How long the job may take (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    /** How --tamper alters the savepoint: a consistent edit, or one of swap-sst's modes. */
    public enum Tamper {
        edit(null), full(SwapSst.Mode.full), block(SwapSst.Mode.block), same_size(SwapSst.Mode.same_size), corrupt(SwapSst.Mode.corrupt);

        /** The swap-sst mode; null for edit. */
        final SwapSst.Mode swapMode;

        Tamper(SwapSst.Mode swapMode) {
            this.swapMode = swapMode;
        }

        @com.fasterxml.jackson.annotation.JsonValue
        @Override
        public String toString() {
            return KebabEnum.name(this);
        }
    }

    static final class TamperConverter extends KebabEnum.Converter<Tamper> {
        TamperConverter() {
            super(Tamper.class);
        }
    }

    static final class TamperCandidates extends KebabEnum.Candidates<Tamper> {
        TamperCandidates() {
            super(Tamper.class);
        }
    }

    /**
     * What sum-job prints with --json: the verifier's counts, and what happened on the way. {@code failures}: the
     * exception history's entries over every run of the job; {@code restarts}: the restores from a checkpoint Flink
     * counted during the kills (chaos);
     * {@code midway}: the savepoint and resume, when asked for.
     */
    public record Verified(String verdict, String output, String jobId, long records, long expectedLines, long lines, int files,
                           long duplicates, long gaps, long wrongSums, long outOfOrder, List<String> uncommitted, Integer failures,
                           Long checkpoints, Integer restarts, Chaos.Report chaos, Midway midway, String firstProblem,
                           List<String> problems) {}

    /** The savepoint taken midway, the tamper applied to it (null: none), and resume's verdict. */
    public record Midway(String savepoint, String tamper, String resumedFrom, Resume.Resumed resumed) {}

    @Override
    public Integer call() throws IOException {
        if (records < 0 || delayMs < 0 || killTm < 0 || (rate != null && rate < 0) || (slowCheckpointMs != null && slowCheckpointMs < 0)) {
            throw Failure.of(ExitCode.USAGE, "--records, --rate, --delay-ms, --slow-checkpoint-ms and --kill-tm must not be negative");
        }
        if (checkpointInterval != null && checkpointInterval < 1) {
            throw Failure.of(ExitCode.USAGE, "--checkpoint-interval must be at least 1 ms: exactly-once output is committed on checkpoints");
        }
        if (killAt != null && killTm == 0) {
            throw Failure.of(ExitCode.USAGE, "--kill-at says where --kill-tm's kills land: give --kill-tm N");
        }
        boolean midway = savepointMidway || tamper != null;
        boolean faults = killTm > 0 || midway;
        if (local && faults) {
            throw Failure.of(ExitCode.USAGE, "--local runs the job in one JVM: no TaskManager to kill, no REST API for a savepoint; "
                    + "drop --local for --kill-tm, --savepoint-midway and --tamper");
        }
        Expectation expectation = new Expectation(records, initial, last);
        if (verifyOnly != null) {
            if (!Files.isDirectory(verifyOnly)) {
                throw Failure.of(ExitCode.NOT_FOUND, "no output directory %s", verifyOnly);
            }
            return print(verifyOnly, null, SumOutput.verify(verifyOnly, expectation), null, null, null, null);
        }
        Path dir = (outputDir != null ? outputDir : Path.of("output", "sum-job-"
                + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(Instant.now().atOffset(ZoneOffset.UTC))))
                .toAbsolutePath().normalize();
        if (Files.exists(dir)) {
            throw Failure.of(ExitCode.CONFLICT, "%s exists: the verifier reads every part file there; choose a new --output", dir);
        }
        Chaos.KillAt at = killAt != null ? killAt : Chaos.KillAt.random;
        boolean midCheckpoint = killTm > 0 && at == Chaos.KillAt.mid_checkpoint;
        // A kill timed by a checkpoint must land before the next one completes; the REST API's view lags up to 500 ms
        boolean timedByCheckpoint = killTm > 0 && at != Chaos.KillAt.random;
        double r = rate != null ? rate : faults ? FAULT_RATE : 0;
        List<String> args = List.of("--output", dir.toString(), "--records", Long.toString(records), "--initial", Long.toString(initial),
                "--final", Long.toString(last), "--delay-ms", Long.toString(delayMs), "--rate", Double.toString(r),
                "--slow-checkpoint-ms", Long.toString(slowCheckpointMs != null ? slowCheckpointMs : midCheckpoint ? 1500 : 0),
                "--checkpoint-interval", Long.toString(checkpointInterval != null ? checkpointInterval : timedByCheckpoint ? 3000 : 1000));
        Workspace.requireCheckout("to find the sum-job job (jobs/SumJob.java)");
        if (local) {
            return runLocal(dir, args, expectation);
        }
        LocalCluster cluster = killTm > 0 ? requireClusterAt(rest.url()) : null;
        JobSpec spec = JobLauncher.spec("sum-job", null, null, args, null, java.util.Map.of(), output.progressLines());
        try (FlinkRest flink = rest.connect()) {
            Submit.Submitted run = Submit.submit(flink, new Submit.Request(spec, null, faults ? Submit.Wait.running : Submit.Wait.finished,
                    timeout), output);
            JobID current = FlinkRest.parseJobId(run.jobId());
            List<JobID> jobs = new ArrayList<>(List.of(current));
            Chaos.Report chaos = null;
            if (killTm > 0) {
                chaos = Chaos.run(cluster, flink, new Chaos.Request(current, killTm, at, Duration.ofSeconds(5),
                        seed != null ? seed : new java.util.Random().nextLong(), Duration.ofMinutes(2)), output);
                if (!chaos.complete()) {
                    output.warn("%s: give more --records or a lower --rate for %d kill(s)", chaos.note(), killTm);
                }
            }
            Midway mid = null;
            if (midway) {
                mid = stopAndResume(flink, current, r, output);
                if (!mid.resumed().verdict().equals(JobWatch.Verdict.RESTORED.name())
                        && !mid.resumed().verdict().equals(JobWatch.Verdict.RESTORED_ALTERED.name())) {
                    // Flink refused the (tampered) savepoint: that is the finding, said at once; the output stops where the savepoint was taken
                    output.result(mid.resumed().plain(), mid);
                    return mid.resumed().exitCode().code;
                }
                current = FlinkRest.parseJobId(mid.resumed().jobId());
                jobs.add(current);
            }
            JobID running = current;
            new JobWatch(flink, current, output.progressLines()).awaitFinishedThroughRestarts(timeout, Duration.ofSeconds(5),
                    () -> reportProgress(flink, running, dir));
            int failures = 0;
            long checkpoints = 0;
            for (JobID id : jobs) {
                failures += flink.exceptions(id).getExceptionHistory().getEntries().size();
                checkpoints += flink.checkpoints(id).getCounts().getNumberCompletedCheckpoints();
            }
            String ids = jobs.stream().map(JobID::toString).collect(java.util.stream.Collectors.joining(","));
            output.progress("job %s finished (%d failure(s) seen, %d checkpoint(s) completed); verifying %s", ids, failures, checkpoints, dir);
            if (!Files.isDirectory(dir)) {
                throw Failure.of(ExitCode.NOT_FOUND, "job %s finished but wrote nothing to %s: does the TaskManager see that path?",
                        run.jobId(), dir);
            }
            int code = print(dir, ids, SumOutput.verify(dir, expectation), failures, checkpoints, chaos, mid);
            return code == ExitCode.OK.code && chaos != null && !chaos.complete() ? ExitCode.FAILURE.code : code;
        }
    }

    /** Progress while the job runs: lines committed so far (of the lines expected), checkpoints, restarts. */
    private void reportProgress(FlinkRest flink, JobID job, Path dir) {
        if (!output.showsProgress()) {
            return;
        }
        long committed;
        try {
            committed = SumOutput.committedLines(dir);
        } catch (IOException | java.io.UncheckedIOException e) {
            committed = -1; // not there yet, or a file committed while listing
        }
        var counts = flink.checkpoints(job).getCounts();
        output.progress("job %s: %s of %d lines committed, %d checkpoint(s), %d restore(s) from a checkpoint", job,
                committed < 0 ? "?" : Long.toString(committed), records + 1, counts.getNumberCompletedCheckpoints(),
                counts.getNumberRestoredCheckpoints());
    }

    /** The local cluster that --kill-tm kills in: --dir's, which must be the one --rest-url talks to. */
    private LocalCluster requireClusterAt(String restUrl) {
        LocalCluster cluster = instance.cluster();
        LocalCluster.Instance running = cluster.recorded().orElseThrow(() -> Failure.of(ExitCode.NOT_FOUND,
                "--kill-tm kills the TaskManager of a local cluster, and none runs in %s: start one (cluster start) or give --dir",
                cluster.dir()));
        if (FlinkRest.parseUrl(restUrl).getPort() != running.restPort()) {
            throw Failure.of(ExitCode.USAGE, "--kill-tm kills the TaskManager of the cluster in %s (REST %s), but --rest-url is %s: "
                    + "give the --dir of the cluster at %s", cluster.dir(), running.restUrl(), restUrl, restUrl);
        }
        return cluster;
    }

    /**
     * Midway (half the input's time at {@code rate}, and after a checkpoint): stops the job with a native savepoint,
     * applies --tamper to it, and resumes the job from it.
     */
    private Midway stopAndResume(FlinkRest flink, JobID job, double rate, Output output) throws IOException {
        JobWatch watch = new JobWatch(flink, job, output.progressLines());
        watch.awaitCompletedCheckpoint(timeout);
        if (rate > 0) {
            long started = flink.job(job).getStartTime();
            Instant half = Instant.ofEpochMilli(started).plusMillis((long) (records / rate * 500));
            Duration wait = Duration.between(Instant.now(), half);
            if (!wait.isNegative()) {
                output.progress("waiting %s, until halfway through the input, to take the savepoint", Durations.format(wait));
                Durations.sleep(wait);
            }
        }
        Savepoint.Taken taken = Savepoint.take(flink, new Savepoint.Request(job, SavepointFormatType.NATIVE, true, false, null, timeout), output);
        Path savepoint = Path.of(taken.savepoint());
        Path resumeFrom = savepoint;
        if (tamper != null) {
            long altered = initial + 1; // the sum is `initial` until the final record: each later line shows the change
            if (tamper.swapMode == null) {
                Edit.Edited edited = Edit.edit(new Edit.Request(savepoint, null, SUM_STATE,
                        List.of("0=" + altered), List.of(), null, null, null), output);
                resumeFrom = Path.of(edited.savepoint());
            } else {
                byte[] value = ByteBuffer.allocate(Long.BYTES).putLong(altered).array(); // Flink's LongSerializer: 8 bytes, big-endian
                SwapSst.swap(SwapSst.Request.lastValues(savepoint, 1, value, tamper.swapMode, false), output);
            }
            output.progress("tampered (%s): the sum in %s is now %d", tamper, resumeFrom, altered);
        }
        Resume.Resumed resumed = Resume.resume(flink, Resume.Request.recorded(resumeFrom, List.of(), timeout, false), output);
        return new Midway(savepoint.toString(), tamper == null ? null : tamper.toString(), resumeFrom.toString(), resumed);
    }

    /** --local: the job's own main in a JVM of its own, where Flink runs it in a MiniCluster; then the verifier. */
    private int runLocal(Path dir, List<String> args, Expectation expectation) throws IOException {
        Path checkout = Workspace.requireCheckout("to run jobs/SumJob.java");
        String script = JobCatalog.jobs(checkout).get("sum-job");
        List<String> command = new ArrayList<>(List.of("run", script));
        command.addAll(args);
        command.addAll(List.of("--parallelism", "1")); // a MiniCluster's default is the core count: sources interleave
        output.progress("running %s embedded (Flink's MiniCluster)", script);
        Instant start = Instant.now();
        Jbang.run(checkout, command);
        output.progress("embedded run finished in %s; verifying %s", Durations.format(Duration.between(start, Instant.now())), dir);
        if (!Files.isDirectory(dir)) {
            throw Failure.of(ExitCode.NOT_FOUND, "the embedded run finished but wrote nothing to %s", dir);
        }
        return print(dir, null, SumOutput.verify(dir, expectation), null, null, null, null);
    }

    private int print(Path dir, String jobId, Report r, Integer failures, Long checkpoints, Chaos.Report chaos, Midway mid) {
        String left = r.uncommitted().isEmpty() ? "" : String.format(", %d uncommitted file(s) left behind, not output", r.uncommitted().size());
        Integer restarts = chaos == null ? null : chaos.restarts();
        String faults = chaos == null ? "" : String.format(", %d TaskManager kill(s), %d restart(s)", chaos.kills().size(), restarts);
        if (mid != null) {
            faults += mid.tamper() == null ? ", stopped and resumed from a savepoint" : ", resumed from a savepoint tampered with " + mid.tamper();
        }
        String plain = r.ok()
                ? String.format("%s %d lines in %d file(s)%s%s, %s", r.verdict(), r.lines(), r.files(), faults, left, dir)
                : String.format("%s %s (%d duplicate(s), %d gap(s), %d wrong sum(s), %d out of order%s%s; %s)",
                        r.verdict(), r.first(), r.duplicates(), r.gaps(), r.wrongSums(), r.outOfOrder(), faults, left, dir);
        output.result(plain, new Verified(r.verdict(), dir.toString(), jobId, records, r.expectedLines(), r.lines(), r.files(), r.duplicates(),
                r.gaps(), r.wrongSums(), r.outOfOrder(), r.uncommitted(), failures, checkpoints, restarts, chaos, mid,
                r.first() == null ? null : r.first().toString(), r.problems().stream().map(Object::toString).toList()));
        return r.ok() ? ExitCode.OK.code : ExitCode.NOT_EXACTLY_ONCE.code;
    }

    public static void main(String[] args) {
        CommandRunner.main(new SumJobCommand(), args);
    }
}
