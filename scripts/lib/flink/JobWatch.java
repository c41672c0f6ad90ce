package statelab.flink;

import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.runtime.execution.ExecutionState;
import org.apache.flink.runtime.rest.messages.JobExceptionsInfoWithHistory.RootExceptionInfo;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointStatistics.CompletedCheckpointStatistics;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointingStatistics;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointingStatistics.RestoredCheckpointStatistics;
import org.apache.flink.runtime.rest.messages.job.JobDetailsInfo;
import org.apache.flink.runtime.rest.messages.job.JobDetailsInfo.JobVertexDetailsInfo;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Poll;

/**
 * Watches one job through the REST API, polling with a deadline. A failure is seen in the job's exception
 * history as soon as Flink records it, whether the job then restarts a region, restarts as a whole, or fails:
 * nothing here waits on Flink's restart strategy, which by default restarts forever.
 */
public final class JobWatch {
    /** How long tasks may wait for slots, with none free, before that is reported instead of waited on. */
    static final Duration SLOT_GRACE = Duration.ofSeconds(3);

    private final FlinkRest rest;
    private final JobID jobId;
    private final Consumer<String> progress;
    private Instant waitingForSlotsSince;
    private JobStatus seenStatus;

    public JobWatch(FlinkRest rest, JobID jobId, Consumer<String> progress) {
        this.rest = rest;
        this.jobId = jobId;
        this.progress = progress;
    }

    /** One look at the job; a change of its status is reported as progress. */
    private JobDetailsInfo poll() {
        JobDetailsInfo job = rest.job(jobId);
        if (job.getJobStatus() != seenStatus) {
            seenStatus = job.getJobStatus();
            progress.accept("job " + jobId + " is " + seenStatus);
        }
        return job;
    }

    /** The job's failures so far: how many, and the root cause of the first one. */
    public record Failures(int count, String rootCause) {}

    public Optional<Failures> failures() {
        List<RootExceptionInfo> entries = rest.exceptions(jobId).getExceptionHistory().getEntries();
        return entries.stream()
                .min(Comparator.comparingLong(RootExceptionInfo::getTimestamp))
                .map(first -> new Failures(entries.size(), RootCause.of(first.getStacktrace())));
    }

    /**
     * Waits until the job and all its tasks run (or, with {@code untilFinished}, until it finishes). A finished
     * job counts as having run. Throws {@link ExitCode#JOB_FAILED} with the root cause at the first failure,
     * {@link ExitCode#NO_SLOTS} when it waits for slots that are not free, {@link ExitCode#TIMEOUT} at the deadline.
     */
    public JobDetailsInfo awaitRunning(Duration timeout, boolean untilFinished) {
        AtomicReference<JobDetailsInfo> last = new AtomicReference<>();
        return Poll.until(timeout, () -> {
            JobDetailsInfo job = poll();
            last.set(job);
            JobStatus status = job.getJobStatus();
            Optional<Failures> failed = failures();
            failed.ifPresent(this::refuseSlotShortage);
            if (failed.isPresent() || status == JobStatus.FAILED || status == JobStatus.FAILING) {
                throw Failure.of(ExitCode.JOB_FAILED, "job %s failed (%s): %s", jobId, status,
                        failed.map(Failures::rootCause).orElse("no exception recorded"));
            }
            if (status == JobStatus.CANCELED || status == JobStatus.CANCELLING) {
                throw Failure.of(ExitCode.JOB_FAILED, "job %s was canceled", jobId);
            }
            if (status == JobStatus.FINISHED || (!untilFinished && status == JobStatus.RUNNING && allTasksRunning(job))) {
                return Optional.of(job);
            }
            checkSlots(job);
            return Optional.empty();
        }).orElseThrow(() -> Failure.of(ExitCode.TIMEOUT, "job %s not %s after %ds: it is %s, vertices %s", jobId,
                untilFinished ? "finished" : "running", timeout.toSeconds(), last.get().getJobStatus(), taskSummary(last.get())));
    }

    /** How a resumed job's restore went; see {@link #awaitRestore}. */
    public enum Verdict {
        RESTORED(ExitCode.OK), RESTORE_FAILED(ExitCode.RESTORE_FAILED), TIMEOUT(ExitCode.TIMEOUT),
        /** RESTORED, and a savepoint of the restored job shows it runs on the tampered values (resume --verify). */
        RESTORED_ALTERED(ExitCode.RESTORED_ALTERED);

        public final ExitCode exitCode;

        Verdict(ExitCode exitCode) {
            this.exitCode = exitCode;
        }
    }

    /**
     * {@code checkpointTriggered}: the watch asked Flink for a checkpoint once the restored job ran (the first one
     * to complete after the restore, the job's own or that one, is the proof of {@code RESTORED}).
     */
    public record Outcome(Verdict verdict, String jobId, String state, int failures, String rootCause,
                          String restoredFrom, Long restoredCheckpointId, Long firstCheckpointAfterRestore,
                          boolean checkpointTriggered, long millisToVerdict, String reason) {}

    /**
     * Watches a job started from a savepoint until a verdict: {@code RESTORED} once it runs and a checkpoint
     * completed after the restore, with no failure (as soon as the restored job runs, one checkpoint is triggered
     * over REST: a job that enables no periodic checkpointing takes none by itself, and one with a long interval
     * would keep the verdict waiting); {@code RESTORE_FAILED} at its first failure (root cause from
     * the exception history); {@code TIMEOUT} when neither happened by the deadline.
     */
    public Outcome awaitRestore(Duration timeout) {
        Instant start = Instant.now();
        AtomicReference<Seen> last = new AtomicReference<>(new Seen(null, Optional.empty(), "no answer yet"));
        AtomicBoolean triggered = new AtomicBoolean();
        return Poll.until(start.plus(timeout), () -> {
            JobDetailsInfo job = poll();
            JobStatus status = job.getJobStatus();
            long elapsed = Duration.between(start, Instant.now()).toMillis();
            Optional<Failures> failed = failures();
            failed.ifPresent(this::refuseSlotShortage);
            if (failed.isPresent() || status == JobStatus.FAILED || status == JobStatus.FAILING
                    || status == JobStatus.RESTARTING || status == JobStatus.CANCELED || status == JobStatus.CANCELLING) {
                CheckpointingStatistics cps = rest.checkpoints(jobId);
                String reason = failed.isPresent() ? "the job failed while or after restoring" : "the job ended " + status;
                return Optional.of(outcome(Verdict.RESTORE_FAILED, status, failed, cps, triggered.get(), elapsed, reason));
            }
            String seen;
            if (status == JobStatus.FINISHED || (status == JobStatus.RUNNING && allTasksRunning(job))) {
                CheckpointingStatistics cps = rest.checkpoints(jobId);
                RestoredCheckpointStatistics restored = cps.getLatestCheckpoints().getRestoredCheckpointStatistics();
                CompletedCheckpointStatistics completed = cps.getLatestCheckpoints().getCompletedCheckpointStatistics();
                if (status == JobStatus.FINISHED && restored != null) {
                    return Optional.of(outcome(Verdict.RESTORED, status, failed, cps, triggered.get(), elapsed, "the job restored its state and finished"));
                }
                if (restored != null && completed != null && completed.getId() > restored.getId()) {
                    return Optional.of(outcome(Verdict.RESTORED, status, failed, cps, triggered.get(), elapsed,
                            "running, and checkpoint " + completed.getId() + " completed after the restore"
                                    + (triggered.get() ? " (resume had triggered one)" : "")));
                }
                if (restored != null && !triggered.getAndSet(true)) {
                    triggerCheckpoint();
                }
                seen = restored == null ? "running, restore not reported yet"
                        : "running, waiting for a checkpoint after the restore (one was triggered)";
            } else {
                seen = status + ", vertices " + taskSummary(job);
            }
            last.set(new Seen(status, failed, seen));
            checkSlots(job);
            return Optional.empty();
        }).orElseGet(() -> outcome(Verdict.TIMEOUT, last.get().status(), last.get().failed(), rest.checkpoints(jobId), triggered.get(),
                Duration.between(start, Instant.now()).toMillis(), "no verdict within " + timeout.toSeconds() + "s: " + last.get().what()));
    }

    /** Asks for a checkpoint; one that cannot be asked for leaves the watch to the job's own checkpoints. */
    private void triggerCheckpoint() {
        try {
            rest.triggerCheckpoint(jobId);
            progress.accept("job " + jobId + " runs restored: triggered a checkpoint");
        } catch (Failure f) {
            progress.accept("job " + jobId + " runs restored; triggering a checkpoint failed (" + f.getMessage() + "), waiting for the job's own");
        }
    }

    /** What the last look at a restoring job saw, for a verdict at the deadline. */
    private record Seen(JobStatus status, Optional<Failures> failed, String what) {}

    private Outcome outcome(Verdict verdict, JobStatus status, Optional<Failures> failed, CheckpointingStatistics cps,
                            boolean triggered, long elapsed, String reason) {
        RestoredCheckpointStatistics restored = cps.getLatestCheckpoints().getRestoredCheckpointStatistics();
        CompletedCheckpointStatistics completed = cps.getLatestCheckpoints().getCompletedCheckpointStatistics();
        Long after = restored != null && completed != null && completed.getId() > restored.getId() ? completed.getId() : null;
        return new Outcome(verdict, jobId.toString(), status.name(), failed.map(Failures::count).orElse(0),
                failed.map(Failures::rootCause).orElse(null), restored == null ? null : restored.getExternalPath(),
                restored == null ? null : restored.getId(), after, triggered, elapsed, reason);
    }

    /**
     * Waits until the job finishes, through any number of restarts (where faults are expected, as under chaos);
     * throws {@link ExitCode#JOB_FAILED} with the root cause of its last failure when it ends FAILED or CANCELED,
     * {@link ExitCode#TIMEOUT} at the deadline. {@code report} runs every {@code reportEvery} meanwhile (progress).
     */
    public JobDetailsInfo awaitFinishedThroughRestarts(Duration timeout, Duration reportEvery, Runnable report) {
        AtomicReference<JobDetailsInfo> last = new AtomicReference<>();
        AtomicReference<Instant> reported = new AtomicReference<>(Instant.now());
        return Poll.until(timeout, () -> {
            JobDetailsInfo job = poll();
            last.set(job);
            JobStatus status = job.getJobStatus();
            if (status == JobStatus.FINISHED) {
                return Optional.of(job);
            }
            failIfEnded(rest, jobId, status);
            if (Instant.now().isAfter(reported.get().plus(reportEvery))) {
                reported.set(Instant.now());
                report.run();
            }
            return Optional.<JobDetailsInfo>empty();
        }).orElseThrow(() -> Failure.of(ExitCode.TIMEOUT, "job %s not finished after %ds: it is %s, vertices %s", jobId,
                timeout.toSeconds(), last.get().getJobStatus(), taskSummary(last.get())));
    }

    /** The newest entry of the job's exception history, if it has one. */
    public static Optional<RootExceptionInfo> latestFailure(FlinkRest rest, JobID jobId) {
        return rest.exceptions(jobId).getExceptionHistory().getEntries().stream().max(Comparator.comparingLong(RootExceptionInfo::getTimestamp));
    }

    /**
     * Throws {@link ExitCode#JOB_FAILED} with the root cause of the job's latest failure when {@code status} is an
     * end other than FINISHED (failed for good, canceled); where restarts are expected, only that ends a wait.
     */
    public static void failIfEnded(FlinkRest rest, JobID jobId, JobStatus status) {
        if ((status.isGloballyTerminalState() && status != JobStatus.FINISHED) || status == JobStatus.CANCELLING) {
            String cause = latestFailure(rest, jobId).map(e -> RootCause.of(e.getStacktrace())).orElse("no exception recorded");
            throw Failure.of(ExitCode.JOB_FAILED, "job %s is %s: %s", jobId, status, cause);
        }
    }

    /** Waits until the job has completed a checkpoint; returns its id. */
    public long awaitCompletedCheckpoint(Duration timeout) {
        return Poll.until(timeout, () -> {
            CompletedCheckpointStatistics completed = rest.checkpoints(jobId).getLatestCheckpoints().getCompletedCheckpointStatistics();
            if (completed != null) {
                progress.accept("job " + jobId + " completed checkpoint " + completed.getId());
                return Optional.of(completed.getId());
            }
            Optional<Failures> failed = failures();
            if (failed.isPresent()) {
                throw Failure.of(ExitCode.JOB_FAILED, "job %s failed: %s", jobId, failed.get().rootCause());
            }
            return Optional.<Long>empty();
        }).orElseThrow(() -> Failure.of(ExitCode.TIMEOUT, "job %s completed no checkpoint within %ds", jobId, timeout.toSeconds()));
    }

    /** Cancels the job and waits (up to {@code timeout}) until it reached a terminal state. */
    public void cancelAndWait(Duration timeout) {
        JobStatus status = rest.job(jobId).getJobStatus();
        if (status.isGloballyTerminalState()) {
            return;
        }
        rest.cancel(jobId);
        Poll.until(timeout, () -> Optional.of(rest.job(jobId).getJobStatus()).filter(JobStatus::isGloballyTerminalState))
                .orElseThrow(() -> Failure.of(ExitCode.TIMEOUT, "job %s not canceled after %ds", jobId, timeout.toSeconds()));
        progress.accept("job " + jobId + " canceled");
    }

    /**
     * A job Flink failed because it got no slots did not fail to restore or to run: that is a slot shortage, and
     * it is reported as one ({@link ExitCode#NO_SLOTS}), whether Flink gave up before our own grace period or not.
     */
    private void refuseSlotShortage(Failures failed) {
        if (failed.rootCause().contains("NoResourceAvailableException")) {
            var overview = rest.overview();
            throw Failure.of(ExitCode.NO_SLOTS, "job %s got no task slots, the cluster has %d free of %d "
                            + "(cancel the job holding them, or start the cluster with more --slots): %s",
                    jobId, overview.getNumSlotsAvailable(), overview.getNumSlotsTotal(), failed.rootCause());
        }
    }

    private void checkSlots(JobDetailsInfo job) {
        boolean waiting = job.getJobStatus() == JobStatus.CREATED
                || job.getJobVertexInfos().stream().anyMatch(v -> count(v, ExecutionState.SCHEDULED) > 0);
        if (!waiting) {
            waitingForSlotsSince = null;
            return;
        }
        if (waitingForSlotsSince == null) {
            waitingForSlotsSince = Instant.now();
            return;
        }
        if (Duration.between(waitingForSlotsSince, Instant.now()).compareTo(SLOT_GRACE) > 0) {
            var overview = rest.overview();
            if (overview.getNumSlotsAvailable() == 0) {
                int needed = job.getJobVertexInfos().stream().mapToInt(JobVertexDetailsInfo::getParallelism).max().orElse(1);
                throw Failure.of(ExitCode.NO_SLOTS,
                        "job %s waits for task slots: it needs %d, the cluster has 0 free of %d "
                                + "(cancel the job holding them, or start the cluster with more --slots)",
                        jobId, needed, overview.getNumSlotsTotal());
            }
        }
    }

    public static boolean allTasksRunning(JobDetailsInfo job) {
        for (JobVertexDetailsInfo v : job.getJobVertexInfos()) {
            if (count(v, ExecutionState.RUNNING) + count(v, ExecutionState.FINISHED) < v.getParallelism()) {
                return false;
            }
        }
        return !job.getJobVertexInfos().isEmpty();
    }

    private static int count(JobVertexDetailsInfo v, ExecutionState state) {
        return v.getTasksPerState().getOrDefault(state, 0);
    }

    static String taskSummary(JobDetailsInfo job) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<ExecutionState, Integer> e : job.getJobVerticesPerState().entrySet()) {
            if (e.getValue() > 0) {
                sb.append(sb.length() == 0 ? "" : ", ").append(e.getValue()).append(' ').append(e.getKey());
            }
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }

}
