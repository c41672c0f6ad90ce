///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/cli/*.java
//SOURCES lib/flink/*.java
//SOURCES lib/sst/format/*.java
//SOURCES lib/sst/rewrite/*.java
//SOURCES lib/savepoint/*.java
//SOURCES Savepoint.java
//JAVA_OPTIONS -XX:TieredStopAtLevel=1
//DESCRIPTION Resume a job from a savepoint and print a verdict: RESTORED, RESTORE_FAILED or TIMEOUT.
package statelab;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;
import statelab.cli.CommandRunner;
import statelab.cli.Durations;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Output;
import statelab.cli.PassThrough;
import statelab.cli.PipeInput;
import statelab.flink.FlinkRest;
import statelab.flink.JobLauncher;
import statelab.flink.JobLauncher.JobSpec;
import statelab.flink.JobOptions;
import statelab.flink.JobRecord;
import statelab.flink.JobWatch;
import statelab.flink.JobWatch.Outcome;
import statelab.flink.JobWatch.Verdict;
import statelab.flink.RestOption;
import statelab.flink.SavepointPath;
import statelab.flink.RemoteSavepoint;
import statelab.flink.TamperLog;
import statelab.savepoint.RestoreProof;
import statelab.sst.rewrite.InPlacePatch;

/**
 * {@code resume [SAVEPOINT] [-- EXTRA_ARGS]}: starts the job a savepoint came from (as recorded beside its
 * {@code _metadata}, or {@code --job}/{@code --jar}) from that savepoint, watches it for a bounded time and
 * prints a verdict: RESTORED (running, a checkpoint completed after the restore, no failure), RESTORE_FAILED
 * (the first failure's root cause, e.g. RocksDB's "Sst file size mismatch"), or TIMEOUT. It never waits on a
 * restart loop: the first failure is the verdict.
 */
@Command(name = "resume", mixinStandardHelpOptions = true, version = "StateLab resume (Flink 2.3.0)",
        description = {"Resume a job from a savepoint (argument or stdin) and print a verdict:",
                "RESTORED (exit 0), RESTORE_FAILED with the root cause (exit 10), or TIMEOUT (exit 4).",
                "--verify: after RESTORED of a tampered savepoint, a savepoint of the restored job shows which values it runs on:",
                "RESTORED_ALTERED (exit 13, the tampered ones) or RESTORED (the original ones).",
                "Arguments after -- are added to the job's recorded arguments (word-count: -- --replay)."})
public final class Resume implements Callable<Integer> {
    @Mixin Output output;
    @Mixin RestOption rest;

    @Spec CommandSpec spec;

    @Parameters(paramLabel = "SAVEPOINT [-- ARGS]", description = "The savepoint, a path or s3://BUCKET/PATH (default: read from stdin), then extra job arguments.")
    List<String> positional = new ArrayList<>();

    @Option(names = "--job", paramLabel = "NAME", description = "Start this job of the checkout instead of the recorded one.")
    String job;

    @Mixin JobOptions options;

    @Option(names = "--keep-original", description = "Leave the job the savepoint came from running (it holds slots).")
    boolean keepOriginal;

    @Option(names = "--keep-failed", description = "Leave a job that failed to restore to its restart strategy instead of canceling it.")
    boolean keepFailed;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "60s",
            description = "How long to watch for a verdict (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    @Option(names = "--verify", description = "After RESTORED of a tampered savepoint: take a savepoint of the restored job and "
            + "look up every tampered key in it (RESTORED_ALTERED when it holds the tampered values).")
    boolean verify;

    /** What resume prints with --json; {@link #plain()} is its one-line form. */
    public record Resumed(String verdict, String jobId, String state, int failures, String rootCause, String reason,
                          String savepoint, String restoredFrom, Long restoredCheckpointId, Long firstCheckpointAfterRestore,
                          boolean checkpointTriggered, boolean altered, long millisToVerdict, String originalJobId, boolean originalCanceled,
                          boolean canceled, RestoreProof.Proof proof) {
        /** The verdict line: {@code RESTORED <job>}, {@code RESTORE_FAILED <job>: <root cause>}, {@code TIMEOUT <job>: <why>}. */
        public String plain() {
            return switch (Verdict.valueOf(verdict)) {
                case RESTORED -> "RESTORED " + jobId + (proof != null ? ": " + proof.summary() : "");
                case RESTORED_ALTERED -> "RESTORED_ALTERED " + jobId + ": " + proof.summary();
                case RESTORE_FAILED -> "RESTORE_FAILED " + jobId + ": " + (rootCause != null ? rootCause : reason);
                case TIMEOUT -> "TIMEOUT " + jobId + ": " + reason;
            };
        }

        public ExitCode exitCode() {
            return Verdict.valueOf(verdict).exitCode;
        }
    }

    /**
     * What to resume: the typed form of this command's options. {@code job} and {@code jar} start another job than
     * the recorded one; {@code extraArgs} are added to the job's arguments; {@code options} may be null (defaults).
     */
    public record Request(Path savepoint, String job, JobOptions options, List<String> extraArgs, boolean keepOriginal,
                          boolean keepFailed, Duration timeout, boolean verify) {
        /** The job recorded beside {@code savepoint}, with {@code extraArgs} added. */
        public static Request recorded(Path savepoint, List<String> extraArgs, Duration timeout, boolean verify) {
            return new Request(savepoint, null, new JobOptions(), extraArgs, false, false, timeout, verify);
        }
    }

    @Override
    public Integer call() {
        PassThrough split = PassThrough.split(spec, positional);
        String location = PipeInput.argumentOrStdin(split.single("savepoint"), "savepoint", "savepoint path", "swap-sst or savepoint");
        // a remote savepoint: StateLab's records beside _metadata are read from a local copy; Flink gets the URI
        Path dir = SavepointPath.records(location, output);
        try (FlinkRest flink = rest.connect()) {
            Resumed resumed = resume(flink, new Request(dir, job, options, split.passed(), keepOriginal, keepFailed, timeout, verify), output);
            output.result(resumed.plain(), resumed);
            return resumed.exitCode().code;
        }
    }

    /** Starts the job from the savepoint and watches it to a verdict; see the class comment. */
    public static Resumed resume(FlinkRest flink, Request request, Output output) {
        Path dir = request.savepoint();
        JobOptions options = request.options();
        Optional<JobRecord> recorded = JobRecord.loadBeside(dir);
        boolean asRecorded = request.job() == null && options.jar == null;
        if (asRecorded && recorded.isEmpty()) {
            throw Failure.of(ExitCode.USAGE, "%s does not say which job made it (no %s): pass --job or --jar", dir, JobRecord.SIDECAR);
        }
        List<String> args = new ArrayList<>(asRecorded ? recorded.get().programArgs() : List.of());
        args.addAll(request.extraArgs());
        Map<String, String> jobConfig = new LinkedHashMap<>(recorded.map(JobRecord::config).filter(c -> c != null).orElse(Map.of()));
        jobConfig.putAll(options.config);
        JobSpec jobSpec = JobLauncher.spec(
                asRecorded ? recorded.get().job() : request.job(),
                asRecorded ? (recorded.get().jar() != null ? Path.of(recorded.get().jar()) : null) : options.jar,
                options.entryClass != null ? options.entryClass : asRecorded ? recorded.get().entryClass() : null,
                List.copyOf(args), options.parallelism != null ? options.parallelism : recorded.map(JobRecord::parallelism).orElse(null),
                Map.copyOf(jobConfig), output.progressLines());
        boolean altered = !TamperLog.read(dir).isEmpty();
        try {
            for (Path sst : InPlacePatch.recover(dir)) {
                output.warn("%s: an earlier swap-sst --in-place was interrupted; rolled back to the file as it was", sst);
            }
        } catch (IOException e) {
            throw Failure.of(ExitCode.CANNOT_WRITE, "cannot roll back an interrupted in-place patch in %s: %s", dir, e.getMessage());
        }

        boolean originalCanceled = recorded.isPresent() && !request.keepOriginal() && stopOriginal(flink, recorded.get(), output);
        JobRecord started = JobLauncher.launch(flink, jobSpec,
                options.restoreFrom(RemoteSavepoint.remoteOf(dir).map(java.net.URI::toString).orElse(dir.toString())), output.progressLines());
        JobID jobId = FlinkRest.parseJobId(started.jobId());
        JobWatch watch = new JobWatch(flink, jobId, output.progressLines());
        Outcome outcome;
        try {
            outcome = watch.awaitRestore(request.timeout());
        } catch (Failure f) {
            if (f.exitCode() == ExitCode.NO_SLOTS) {
                watch.cancelAndWait(Duration.ofSeconds(30));
                output.progress("canceled job %s, which was waiting for slots", jobId);
            }
            throw f;
        }
        boolean canceled = false;
        if (outcome.verdict() == Verdict.RESTORE_FAILED && !request.keepFailed()) {
            watch.cancelAndWait(Duration.ofSeconds(30));
            canceled = true;
        }
        output.progress("verdict %s after %s: %s", outcome.verdict(), Durations.format(Duration.ofMillis(outcome.millisToVerdict())),
                outcome.reason());
        Verdict verdict = outcome.verdict();
        RestoreProof.Proof proof = null;
        if (altered && verdict == Verdict.RESTORED && request.verify()) {
            proof = prove(flink, jobId, dir, request.timeout(), output);
            if (proof != null && proof.altered() > 0) {
                verdict = Verdict.RESTORED_ALTERED;
            }
        } else if (altered && verdict == Verdict.RESTORED) {
            output.warn("Flink restored a savepoint that was altered (%s); --verify shows whether the job runs on the altered values",
                    TamperLog.FILE);
        }
        return new Resumed(verdict.name(), outcome.jobId(), outcome.state(), outcome.failures(),
                outcome.rootCause(), outcome.reason(), dir.toString(), outcome.restoredFrom(), outcome.restoredCheckpointId(),
                outcome.firstCheckpointAfterRestore(), outcome.checkpointTriggered(), altered, outcome.millisToVerdict(),
                recorded.map(JobRecord::jobId).orElse(null), originalCanceled, canceled, proof);
    }

    /**
     * Takes a native savepoint of the restored job and looks up every tampered key in it ({@link RestoreProof}). A
     * savepoint that cannot be taken or read leaves the verdict RESTORED, with a warning saying why.
     */
    private static RestoreProof.Proof prove(FlinkRest flink, JobID jobId, Path tampered, Duration timeout, Output output) {
        try {
            output.progress("verify: taking a savepoint of job %s to see which values it runs on", jobId);
            Savepoint.Taken taken = Savepoint.take(flink, Savepoint.Request.nativeOf(jobId, timeout), output);
            RestoreProof.Proof proof;
            try {
                proof = RestoreProof.check(tampered, SavepointPath.readable(taken.savepoint(), output));
            } catch (Failure f) {
                if (f.exitCode() != ExitCode.BAD_STATE) {
                    throw f;
                }
                // Flink restored files RocksDB refuses to read (a corrupt block no read has touched yet): the finding
                proof = RestoreProof.Proof.unreadable(taken.savepoint(), f.getMessage());
            }
            output.progress("verify: %s", proof.summary());
            return proof;
        } catch (Failure | IOException e) {
            output.warn("--verify: no proof: %s", e.getMessage());
            return null;
        }
    }

    /**
     * Slots are few: if the job the savepoint came from still runs on this cluster, cancel it first (unless
     * --keep-original). Returns whether it was canceled.
     */
    private static boolean stopOriginal(FlinkRest flink, JobRecord original, Output output) {
        if (original.restUrl() == null || !FlinkRest.parseUrl(original.restUrl()).equals(flink.url())) {
            return false;
        }
        JobID id = FlinkRest.parseJobId(original.jobId());
        JobStatus status;
        try {
            status = flink.job(id).getJobStatus();
        } catch (Failure f) {
            if (f.exitCode() == ExitCode.NOT_FOUND) {
                return false;
            }
            throw f;
        }
        if (status.isGloballyTerminalState()) {
            return false;
        }
        output.progress("canceling job %s, which made the savepoint and still holds slots (--keep-original keeps it)", id);
        new JobWatch(flink, id, output.progressLines()).cancelAndWait(Duration.ofSeconds(30));
        return true;
    }

    public static void main(String[] args) {
        CommandRunner.main(new Resume(), args);
    }
}
