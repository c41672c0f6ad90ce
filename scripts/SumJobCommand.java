///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/cli/*.java
//SOURCES lib/flink/*.java
//SOURCES lib/verify/*.java
//SOURCES Submit.java
//JAVA_OPTIONS -XX:TieredStopAtLevel=1
//DESCRIPTION Run the running-sum job to its end and verify its committed output is exactly once: EXACTLY_ONCE_OK or where it broke.
package statelab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointingStatistics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import statelab.cli.CommandRunner;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Output;
import statelab.flink.RestOption;
import statelab.cli.Workspace;
import statelab.flink.FlinkRest;
import statelab.flink.JobLauncher;
import statelab.flink.JobLauncher.JobSpec;
import statelab.verify.SumOutput;
import statelab.verify.SumOutput.Expectation;
import statelab.verify.SumOutput.Report;

/**
 * {@code sum-job}: the running-sum job ({@code jobs/SumJob.java}) as an end-to-end exactly-once test, checked from
 * outside the job: it is submitted, run to its end, and its committed output verified by {@link SumOutput} (one
 * line per input record, in order, each the running sum so far, no duplicate, no gap, nothing uncommitted). With
 * {@code --verify DIR} only an existing output is checked. Prints {@code EXACTLY_ONCE_OK} or
 * {@code EXACTLY_ONCE_BROKEN} with the first problem's file and line; exit 0 or 14.
 */
@Command(name = "sum-job", mixinStandardHelpOptions = true, version = "StateLab sum-job (Flink 2.3.0)",
        description = {"Run the running-sum job to its end on the cluster and verify its committed output is exactly once:",
                "one line per input record, in order, each the running sum so far, no duplicate, no gap, nothing uncommitted.",
                "Prints EXACTLY_ONCE_OK, or EXACTLY_ONCE_BROKEN with the first problem's file and line (exit 14)."})
public final class SumJobCommand implements Callable<Integer> {
    @Mixin Output output;
    @Mixin RestOption rest;

    @Option(names = "--records", paramLabel = "N", defaultValue = "20000", description = "Zeros before the final value (default: ${DEFAULT-VALUE}).")
    long records;

    @Option(names = "--initial", paramLabel = "V", defaultValue = "10", description = "The sum's start (default: ${DEFAULT-VALUE}).")
    long initial;

    @Option(names = "--final", paramLabel = "V", defaultValue = "990", description = "The last value added (default: ${DEFAULT-VALUE}).")
    long last;

    @Option(names = "--delay-ms", paramLabel = "MS", defaultValue = "0", description = "Sleep per record, to make the run longer (default: ${DEFAULT-VALUE}).")
    long delayMs;

    @Option(names = "--output", paramLabel = "DIR",
            description = "Where the job writes (must not exist yet; default: output/sum-job-<UTC time> in the working directory). "
                    + "The TaskManager must see it at the same path.")
    Path outputDir;

    @Option(names = "--verify", paramLabel = "DIR", description = "Only verify the output already in DIR (with --records, --initial, --final as it was run).")
    Path verifyOnly;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "10m", description = "How long the job may take (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    /** What sum-job prints with --json. */
    public record Verified(String verdict, String output, String jobId, long records, long expectedLines, long lines, int files,
                           long duplicates, long gaps, long wrongSums, long outOfOrder, List<String> uncommitted, Integer failures,
                           Long checkpoints, String firstProblem, List<String> problems) {}

    @Override
    public Integer call() throws IOException {
        if (records < 0 || delayMs < 0) {
            throw Failure.of(ExitCode.USAGE, "--records and --delay-ms must not be negative");
        }
        Expectation expectation = new Expectation(records, initial, last);
        if (verifyOnly != null) {
            if (!Files.isDirectory(verifyOnly)) {
                throw Failure.of(ExitCode.NOT_FOUND, "no output directory %s", verifyOnly);
            }
            return print(verifyOnly, null, SumOutput.verify(verifyOnly, expectation), null, null);
        }
        Path dir = (outputDir != null ? outputDir : Path.of("output", "sum-job-"
                + DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").format(Instant.now().atOffset(ZoneOffset.UTC))))
                .toAbsolutePath().normalize();
        if (Files.exists(dir)) {
            throw Failure.of(ExitCode.CONFLICT, "%s exists: the verifier reads every part file there; choose a new --output", dir);
        }
        Workspace.requireCheckout("to find the sum-job job (jobs/SumJob.java)");
        List<String> args = List.of("--output", dir.toString(), "--records", Long.toString(records), "--initial", Long.toString(initial),
                "--final", Long.toString(last), "--delay-ms", Long.toString(delayMs));
        JobSpec spec = JobLauncher.spec("sum-job", null, null, args, null, java.util.Map.of(), output.progressLines());
        try (FlinkRest flink = rest.connect()) {
            Submit.Submitted run = Submit.submit(flink, new Submit.Request(spec, null, Submit.Wait.finished, timeout), output);
            if (!run.state().equals("FINISHED")) {
                throw Failure.of(ExitCode.JOB_FAILED, "job %s ended %s, not FINISHED; its output in %s is not verified", run.jobId(),
                        run.state(), dir);
            }
            org.apache.flink.api.common.JobID id = FlinkRest.parseJobId(run.jobId());
            int failures = flink.exceptions(id).getExceptionHistory().getEntries().size();
            CheckpointingStatistics checkpoints = flink.checkpoints(id);
            output.progress("job %s finished (%d failure(s) seen, %d checkpoint(s) completed); verifying %s", run.jobId(), failures,
                    checkpoints.getCounts().getNumberCompletedCheckpoints(), dir);
            if (!Files.isDirectory(dir)) {
                throw Failure.of(ExitCode.NOT_FOUND, "job %s finished but wrote nothing to %s: does the TaskManager see that path?",
                        run.jobId(), dir);
            }
            return print(dir, run.jobId(), SumOutput.verify(dir, expectation), failures, checkpoints.getCounts().getNumberCompletedCheckpoints());
        }
    }

    private int print(Path dir, String jobId, Report r, Integer failures, Long checkpoints) {
        String plain = r.ok()
                ? String.format("%s %d lines in %d file(s), %s", r.verdict(), r.lines(), r.files(), dir)
                : String.format("%s %s (%d duplicate(s), %d gap(s), %d wrong sum(s), %d out of order, %d uncommitted file(s); %s)",
                        r.verdict(), r.first(), r.duplicates(), r.gaps(), r.wrongSums(), r.outOfOrder(), r.uncommitted().size(), dir);
        output.result(plain, new Verified(r.verdict(), dir.toString(), jobId, records, r.expectedLines(), r.lines(), r.files(), r.duplicates(),
                r.gaps(), r.wrongSums(), r.outOfOrder(), r.uncommitted(), failures, checkpoints,
                r.first() == null ? null : r.first().toString(), r.problems().stream().map(Object::toString).toList()));
        return r.ok() ? ExitCode.OK.code : ExitCode.NOT_EXACTLY_ONCE.code;
    }

    public static void main(String[] args) {
        CommandRunner.main(new SumJobCommand(), args);
    }
}
