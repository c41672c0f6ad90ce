///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/cli/*.java
//SOURCES lib/flink/*.java
//SOURCES lib/savepoint/*.java
//SOURCES Submit.java Savepoint.java SwapSst.java Resume.java
//JAVA_OPTIONS -XX:TieredStopAtLevel=1
//DESCRIPTION The whole tamper experiment on the local cluster: submit, savepoint, swap-sst, resume, verdict.
package statelab;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
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
import statelab.cli.Output;
import statelab.cli.PassThrough;
import statelab.flink.RestOption;

/**
 * {@code experiment [JOB] [-- JOB_ARGS]}: the seed's whole experiment in one command, run by the same command
 * classes a pipeline runs: submit the job (word count by default) and wait until it runs and has completed a
 * checkpoint, take a native savepoint, rewrite the last N values of its newest SST, resume the job from it, and
 * print the verdict.
 * {@code --control} skips the rewrite, for the untampered baseline. Each step is reported on stderr; stdout
 * carries the verdict line (or, with --json, the whole record). The exit code is resume's.
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

    @Override
    public Integer call() throws IOException {
        Instant start = Instant.now();
        PassThrough split = PassThrough.split(spec, positional);
        String job = split.single("job") == null ? "word-count" : split.single("job");
        List<String> jobArgs = new ArrayList<>(split.passed());
        if (job.replace("-", "").equalsIgnoreCase("wordcount")) {
            // stay RUNNING for the savepoint; after the restore, count the same words again so restored counts show
            addIfAbsent(jobArgs, "--keep-running");
        }
        Map<String, Object> record = new LinkedHashMap<>();
        record.put("job", job);

        List<String> submitArgs = new ArrayList<>(List.of(job, "--timeout", timeout.toSeconds() + "s"));
        if (parallelism != null) {
            submitArgs.addAll(List.of("-p", parallelism.toString()));
        }
        submitArgs.add("--");
        submitArgs.addAll(jobArgs);
        JsonNode submitted = step("submit", new Submit(), submitArgs);
        record.put("submit", submitted);
        String jobId = submitted.get("jobId").asText();

        // a savepoint at the first instant of RUNNING holds next to nothing; after a checkpoint the job has counted
        try (var flink = rest.connect()) {
            new statelab.flink.JobWatch(flink, statelab.flink.FlinkRest.parseJobId(jobId), output.progressLines())
                    .awaitCompletedCheckpoint(timeout);
        }
        JsonNode savepoint = step("savepoint", new Savepoint(), List.of(jobId, "--timeout", timeout.toSeconds() + "s"));
        record.put("savepoint", savepoint);
        String path = savepoint.get("savepoint").asText();

        if (!control) {
            List<String> swapArgs = new ArrayList<>(List.of(path, "--last", Integer.toString(last), "--value", value));
            if (largest) {
                swapArgs.add("--largest");
            }
            record.put("swapSst", step("swap-sst", new SwapSst(), swapArgs));
        }

        List<String> resumeArgs = new ArrayList<>(List.of(path, "--timeout", timeout.toSeconds() + "s"));
        if (job.replace("-", "").equalsIgnoreCase("wordcount")) {
            resumeArgs.addAll(List.of("--", "--replay"));
        }
        StepResult resumed = run("resume", new Resume(), resumeArgs);
        JsonNode verdict = Output.JSON.readTree(resumed.out());
        record.put("resume", verdict);
        record.put("verdict", verdict.get("verdict").asText());
        record.put("millis", Duration.between(start, Instant.now()).toMillis());

        String resumedJob = verdict.get("jobId").asText();
        if (!keepJob && verdict.get("verdict").asText().equals("RESTORED")) {
            cancel(resumedJob);
        }
        output.progress("verdict after %s: %s", Durations.format(Duration.between(start, Instant.now())), verdict.get("verdict").asText());
        String plain = verdict.get("verdict").asText() + " " + resumedJob
                + (verdict.hasNonNull("rootCause") ? ": " + verdict.get("rootCause").asText() : "")
                + (verdict.get("verdict").asText().equals("TIMEOUT") ? ": " + verdict.get("reason").asText() : "");
        output.result(plain, record);
        return resumed.exitCode();
    }

    private record StepResult(int exitCode, String out) {}

    /** Runs one command with --json and returns its JSON; a failed step fails the experiment with its exit code. */
    private JsonNode step(String name, Object command, List<String> args) throws IOException {
        StepResult r = run(name, command, args);
        if (r.exitCode() != 0) {
            throw Failure.of(exitCode(r.exitCode()), "step '%s' failed (exit %d); its error is above", name, r.exitCode());
        }
        return Output.JSON.readTree(r.out());
    }

    private StepResult run(String name, Object command, List<String> args) {
        List<String> all = new ArrayList<>(args);
        int dashDash = all.indexOf("--");
        List<String> flags = new ArrayList<>(List.of("--json"));
        if (!(command instanceof SwapSst)) {
            flags.addAll(List.of("--rest-url", rest.url()));
        }
        if (output.verbose()) {
            flags.add("--verbose");
        }
        flags.add("--progress");
        all.addAll(dashDash < 0 ? all.size() : dashDash, flags);
        Instant t = Instant.now();
        StringWriter out = new StringWriter();
        PrintWriter err = progressWriter();
        int code = CommandRunner.execute(command, new PrintWriter(out), err, all.toArray(String[]::new));
        output.progress("%-9s %s (%s)", name, code == 0 ? "done" : "exit " + code, Durations.format(Duration.between(t, Instant.now())));
        return new StepResult(code, out.toString().strip());
    }

    /** Steps' stderr: errors always, progress only when ours is shown. */
    private PrintWriter progressWriter() {
        PrintWriter mine = output.err();
        return new PrintWriter(new java.io.Writer() {
            private final StringBuilder line = new StringBuilder();

            @Override
            public void write(char[] buf, int off, int len) {
                for (int i = off; i < off + len; i++) {
                    if (buf[i] == '\n') {
                        emit(line.toString());
                        line.setLength(0);
                    } else {
                        line.append(buf[i]);
                    }
                }
            }

            private void emit(String s) {
                if (s.startsWith("error:") || s.startsWith("warning:")) {
                    mine.println(s);
                    mine.flush();
                } else {
                    output.progress("  %s", s);
                }
            }

            @Override
            public void flush() {
                mine.flush();
            }

            @Override
            public void close() {
                flush();
            }
        }, true);
    }

    private void cancel(String jobId) {
        try (var flink = rest.connect()) {
            new statelab.flink.JobWatch(flink, statelab.flink.FlinkRest.parseJobId(jobId), output.progressLines())
                    .cancelAndWait(Duration.ofSeconds(30));
        }
    }

    private static ExitCode exitCode(int code) {
        for (ExitCode c : ExitCode.values()) {
            if (c.code == code) {
                return c;
            }
        }
        return ExitCode.FAILURE;
    }

    private static void addIfAbsent(List<String> args, String flag) {
        if (!args.contains(flag)) {
            args.add(flag);
        }
    }

    public static void main(String[] args) {
        CommandRunner.main(new Experiment(), args);
    }
}
