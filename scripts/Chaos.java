///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/cli/*.java
//SOURCES lib/flink/*.java
//SOURCES lib/cluster/*.java
//JAVA_OPTIONS -XX:TieredStopAtLevel=1
//DESCRIPTION SIGKILL a running job's TaskManager N times, start a replacement each time, and measure how Flink recovers.
package statelab;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.Callable;
import org.apache.flink.api.common.JobID;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.runtime.checkpoint.CheckpointStatsStatus;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointStatistics;
import org.apache.flink.runtime.rest.messages.checkpoints.CheckpointingStatistics;
import org.apache.flink.runtime.rest.messages.job.JobDetailsInfo;
import org.apache.flink.runtime.rest.messages.JobExceptionsInfoWithHistory.RootExceptionInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import statelab.cli.CommandRunner;
import statelab.cli.Durations;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.KebabEnum;
import statelab.cli.Output;
import statelab.cli.PipeInput;
import statelab.cli.Poll;
import statelab.cluster.InstanceOption;
import statelab.cluster.LocalCluster;
import statelab.flink.FlinkRest;
import statelab.flink.JobWatch;
import statelab.flink.RootCause;

/**
 * {@code chaos}: kills the TaskManager of a local cluster under a running job, N times, and measures how Flink
 * recovers each time. A kill is a SIGKILL of the pid the cluster recorded (no shutdown hook runs, as in a crash);
 * a replacement TaskManager is started right after it, as a supervisor would. Before each kill the job must run
 * and have completed a checkpoint since the last recovery, so that each kill has a checkpoint to recover from.
 *
 * <p>Where a kill lands ({@code --kill-at}): {@code random}, a random pause (up to {@code --pause}) after that;
 * {@code checkpoint}, as soon as the next checkpoint is seen completed (before or while the job learns of it, the
 * window where an exactly-once sink commits); {@code mid-checkpoint}, as soon as a checkpoint is seen in flight,
 * which needs checkpoints that last longer than the REST API's view lags (config.yaml: 500 ms) — sum-job's
 * {@code --slow-checkpoint-ms} makes them so. Whether that checkpoint was indeed cut off is read from the
 * checkpoint history afterwards, not assumed.
 *
 * <p>Per kill: when Flink noticed (the job left RUNNING or a failure was recorded), when it ran again, and when the
 * first checkpoint after the kill completed. The restarts Flink counted (its restores from a checkpoint) and the failures in
 * its exception history are reported at the end. The job is read from the argument or stdin (submit's output).
 */
@Command(name = "chaos", mixinStandardHelpOptions = true, version = "StateLab chaos (Flink 2.3.0)",
        description = {"SIGKILL the TaskManager of a local cluster under a running job N times, start a replacement each time,",
                "and measure how Flink recovers: when it noticed, ran again, and completed its next checkpoint.",
                "Each kill waits until the job runs and has completed a checkpoint since the last recovery."})
public final class Chaos implements Callable<Integer> {
    @Mixin Output output;
    @Mixin InstanceOption instance;

    @Parameters(index = "0", arity = "0..1", paramLabel = "JOB_ID", description = "The job (default: read from stdin).")
    String jobIdArg;

    @Option(names = "--kills", paramLabel = "N", defaultValue = "1", description = "How many times to kill the TaskManager (default: ${DEFAULT-VALUE}).")
    int kills;

    /** Where in the job's life a kill lands. */
    public enum KillAt {
        random, checkpoint, mid_checkpoint;

        @com.fasterxml.jackson.annotation.JsonValue
        @Override
        public String toString() {
            return KebabEnum.name(this);
        }
    }

    /** picocli reads {@code mid-checkpoint}, the enum is {@code mid_checkpoint}. */
    static final class KillAtConverter extends KebabEnum.Converter<KillAt> {
        KillAtConverter() {
            super(KillAt.class);
        }
    }

    static final class KillAtCandidates extends KebabEnum.Candidates<KillAt> {
        KillAtCandidates() {
            super(KillAt.class);
        }
    }

    @Option(names = "--kill-at", paramLabel = "WHEN", defaultValue = "random", converter = KillAtConverter.class,
            completionCandidates = KillAtCandidates.class,
            description = {"random: a random pause (up to --pause) after the job has recovered and checkpointed; "
                    + "checkpoint: right after a checkpoint completes; mid-checkpoint: while one is in flight (default: ${DEFAULT-VALUE})."})
    KillAt killAt;

    @Option(names = "--pause", paramLabel = "DURATION", defaultValue = "5s",
            description = "--kill-at random: the longest random pause before a kill (default: ${DEFAULT-VALUE}).")
    Duration pause;

    @Option(names = "--seed", paramLabel = "N", description = "Seed of the random pauses, to repeat a run (default: random; printed).")
    Long seed;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "2m",
            description = "Per kill: how long the job may take to be ready for it, and to recover from it (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    /** The typed form of the options. */
    public record Request(JobID jobId, int kills, KillAt at, Duration pause, long seed, Duration timeout) {}

    /**
     * One kill and the recovery from it; times in milliseconds after the kill. {@code checkpointId}: the checkpoint
     * the kill was timed by (checkpoint: the one just completed; mid-checkpoint: the one in flight), and
     * {@code checkpointStatus} what became of it; {@code restoredCheckpoint}: the checkpoint Flink restored the job
     * from. {@code checkpointAfterMillis} is null when the job finished before checkpointing again.
     */
    public record Kill(int number, String at, long pid, long replacementPid, Long checkpointId, String checkpointStatus,
                       Long checkpointMillisBeforeKill, long detectedMillis, long runningMillis, Long checkpointAfterMillis,
                       Long firstCheckpointAfter, Long restoredCheckpoint, String rootCause) {}

    /**
     * What chaos prints with --json. {@code restarts}: the job's restores from a checkpoint, as Flink's checkpoint
     * statistics count them (each restart after a kill restores the latest checkpoint; Flink's {@code numRestarts}
     * metric, read over REST, stayed at 1 over 10 kills in bench/chaos);
     * {@code failures}: entries added to the exception history during the run.
     */
    public record Report(String jobId, String killAt, long seed, int requested, List<Kill> kills, int restarts, int failures,
                         String state, String note) {
        public boolean complete() {
            return kills.size() == requested;
        }

        public String plain() {
            StringBuilder s = new StringBuilder(String.format("%d of %d kill(s) of job %s (%s), %d restart(s), %d failure(s)",
                    kills.size(), requested, jobId, killAt, restarts, failures));
            for (Kill k : kills) {
                s.append(String.format("%nkill %d: pid %d, noticed %.1f s, running %.1f s, %s", k.number(), k.pid(),
                        k.detectedMillis() / 1000.0, k.runningMillis() / 1000.0, k.checkpointAfterMillis() == null
                                ? "finished before checkpointing again"
                                : String.format("checkpoint %d %.1f s", k.firstCheckpointAfter(), k.checkpointAfterMillis() / 1000.0)));
                if (k.checkpointId() != null) {
                    s.append(String.format(" (kill timed by checkpoint %d, %s)", k.checkpointId(), k.checkpointStatus()));
                }
                if (k.restoredCheckpoint() != null) {
                    s.append(", restored from checkpoint ").append(k.restoredCheckpoint());
                }
            }
            if (note != null) {
                s.append(System.lineSeparator()).append(note);
            }
            return s.toString();
        }
    }

    @Override
    public Integer call() throws IOException {
        if (kills < 1) {
            throw Failure.of(ExitCode.USAGE, "--kills must be at least 1, got %d", kills);
        }
        if (pause.isNegative()) {
            throw Failure.of(ExitCode.USAGE, "--pause must not be negative");
        }
        JobID jobId = FlinkRest.parseJobId(PipeInput.argumentOrStdin(jobIdArg, "jobId", "job id", "submit"));
        LocalCluster cluster = instance.cluster();
        LocalCluster.Instance running = cluster.recorded().orElseThrow(() -> Failure.of(ExitCode.NOT_FOUND,
                "no local cluster runs in %s (chaos kills the TaskManager that `cluster start` recorded; give --dir)", cluster.dir()));
        try (FlinkRest flink = cluster.rest(running)) {
            Report report = run(cluster, flink, new Request(jobId, kills, killAt, pause, seed != null ? seed : new Random().nextLong(),
                    timeout), output);
            output.result(report.plain(), report);
            if (!report.complete()) {
                output.warn("%s", report.note());
                return ExitCode.FAILURE.code;
            }
            return ExitCode.OK.code;
        }
    }

    /**
     * Kills and replaces the TaskManager {@code request.kills()} times under the job, each after the job has
     * recovered from the last; stops early (with a note) when the job finishes first. Throws
     * {@link ExitCode#JOB_FAILED} when the job fails for good, {@link ExitCode#TIMEOUT} when it is not ready for a
     * kill or not recovered in time.
     */
    public static Report run(LocalCluster cluster, FlinkRest flink, Request request, Output output) throws IOException {
        JobID job = request.jobId();
        Random random = new Random(request.seed());
        output.progress("chaos on job %s: %d kill(s), %s, seed %d", job, request.kills(), request.at(), request.seed());
        int failuresBefore = history(flink, job).size();
        List<Kill> done = new ArrayList<>();
        String note = null;
        long recoveredAt = 0; // epoch millis: a checkpoint triggered after this shows the job works again
        // Worked out before the first kill: the first use of Flink's configuration code in this JVM took 2 s (bench/chaos)
        LocalCluster.Replacement replacement = cluster.prepareReplacement(output.progressLines());
        for (int n = 1; n <= request.kills(); n++) {
            Moment moment = awaitReady(flink, job, recoveredAt, request.timeout()) ? awaitMoment(flink, job, request, random) : null;
            if (moment == null) {
                note = String.format("the job finished after %d of %d kill(s)", done.size(), request.kills());
                break;
            }
            Instant killed = Instant.now();
            long pid = cluster.killTaskManager(Duration.ofSeconds(10));
            long started = replacement.start().taskManagerPid();
            output.progress("kill %d/%d: SIGKILLed TaskManager pid %d (%s)%s; replacement pid %d", n, request.kills(), pid, request.at(),
                    moment.checkpointId == null ? "" : " at checkpoint " + moment.checkpointId, started);
            Kill kill = recover(flink, job, n, request, killed, pid, started, moment, output);
            done.add(kill);
            recoveredAt = killed.toEpochMilli();
        }
        int restarts = (int) flink.checkpoints(job).getCounts().getNumberRestoredCheckpoints();
        JobStatus state = flink.job(job).getJobStatus();
        return new Report(job.toString(), request.at().toString(), request.seed(), request.kills(), List.copyOf(done), restarts,
                history(flink, job).size() - failuresBefore, state.name(), note);
    }

    /** When the kill lands, and the checkpoint it was timed by. */
    private record Moment(Long checkpointId, Long checkpointCompletedAt) {}

    /**
     * Waits until the job runs with all its tasks and has completed a checkpoint triggered after {@code since}
     * (epoch millis); false when it finished instead.
     */
    private static boolean awaitReady(FlinkRest flink, JobID job, long since, Duration timeout) {
        return Poll.until(timeout, () -> {
            JobDetailsInfo details = flink.job(job);
            JobStatus status = details.getJobStatus();
            if (status == JobStatus.FINISHED) {
                return Optional.of(false);
            }
            JobWatch.failIfEnded(flink, job, status);
            if (status != JobStatus.RUNNING || !JobWatch.allTasksRunning(details)) {
                return Optional.<Boolean>empty();
            }
            return latestCompleted(flink.checkpoints(job)).filter(c -> c.getTriggerTimestamp() > since).map(c -> true);
        }).orElseThrow(() -> Failure.of(ExitCode.TIMEOUT, "job %s did not run and complete a checkpoint within %ds%s", job,
                timeout.toSeconds(), since == 0 ? " (chaos waits for a first checkpoint: does the job enable checkpointing?)" : ""));
    }

    /** Waits for the moment {@code request.at()} asks for; null when the job finished meanwhile. */
    private static Moment awaitMoment(FlinkRest flink, JobID job, Request request, Random random) {
        if (request.at() == KillAt.random) {
            Durations.sleep(Duration.ofMillis((long) (random.nextDouble() * request.pause().toMillis())));
            return flink.job(job).getJobStatus() == JobStatus.RUNNING ? new Moment(null, null) : null;
        }
        long before = latestCompleted(flink.checkpoints(job)).map(CheckpointStatistics::getId).orElse(-1L);
        Optional<Moment> moment = Poll.until(request.timeout(), () -> {
            CheckpointingStatistics cps = flink.checkpoints(job);
            Optional<Moment> seen = request.at() == KillAt.checkpoint
                    ? latestCompleted(cps).filter(c -> c.getId() > before).map(c -> new Moment(c.getId(), c.getLatestAckTimestamp()))
                    : cps.getHistory().stream().filter(c -> c.getStatus() == CheckpointStatsStatus.IN_PROGRESS)
                            .max(Comparator.comparingLong(CheckpointStatistics::getId)).map(c -> new Moment(c.getId(), null));
            if (seen.isPresent()) {
                return seen;
            }
            JobStatus status = flink.job(job).getJobStatus();
            JobWatch.failIfEnded(flink, job, status);
            return status == JobStatus.RUNNING ? Optional.<Moment>empty() : Optional.of(ENDED);
        });
        if (moment.isEmpty()) {
            throw Failure.of(ExitCode.TIMEOUT, request.at() == KillAt.checkpoint
                    ? "job %s completed no checkpoint within %ds"
                    : "job %s had no checkpoint in flight long enough to be seen within %ds (the REST API's view lags up to 500 ms: "
                            + "mid-checkpoint needs checkpoints that last longer, e.g. sum-job --slow-checkpoint-ms 2000)",
                    job, request.timeout().toSeconds());
        }
        return moment.get() == ENDED ? null : moment.get();
    }

    /** What {@link #awaitMoment} sees when the job stopped running before the moment came. */
    private static final Moment ENDED = new Moment(null, null);

    /** Watches the job from the kill until it runs again and has completed a checkpoint (or finished). */
    private static Kill recover(FlinkRest flink, JobID job, int n, Request request, Instant killed, long pid, long replacement,
                                Moment moment, Output output) {
        long killedAt = killed.toEpochMilli();
        // When Flink noticed: the time it recorded the failure in the job's exception history, not when we looked.
        long detected = Poll.until(request.timeout(), () -> {
            Optional<Long> failedAt = history(flink, job).stream().map(RootExceptionInfo::getTimestamp).filter(t -> t >= killedAt).min(Long::compare);
            if (failedAt.isEmpty()) {
                JobWatch.failIfEnded(flink, job, flink.job(job).getJobStatus());
            }
            return failedAt.map(t -> t - killedAt);
        }).orElseThrow(() -> Failure.of(ExitCode.TIMEOUT, "job %s recorded no failure within %ds of its TaskManager's kill", job,
                request.timeout().toSeconds()));
        output.progress("kill %d: Flink noticed after %.1f s", n, detected / 1000.0);
        long running = Poll.until(request.timeout(), () -> {
            JobDetailsInfo details = flink.job(job);
            JobStatus status = details.getJobStatus();
            JobWatch.failIfEnded(flink, job, status);
            return status == JobStatus.FINISHED || (status == JobStatus.RUNNING && JobWatch.allTasksRunning(details))
                    ? Optional.of(System.currentTimeMillis() - killedAt) : Optional.<Long>empty();
        }).orElseThrow(() -> Failure.of(ExitCode.TIMEOUT, "job %s not running again %ds after kill %d", job,
                request.timeout().toSeconds(), n));
        output.progress("kill %d: job running again after %.1f s", n, running / 1000.0);
        Optional<CheckpointStatistics> after = Poll.until(request.timeout(), () -> {
            CheckpointingStatistics cps = flink.checkpoints(job);
            Optional<CheckpointStatistics> c = latestCompleted(cps).filter(x -> x.getTriggerTimestamp() > killedAt);
            if (c.isPresent()) {
                return Optional.of(c);
            }
            JobStatus status = flink.job(job).getJobStatus();
            JobWatch.failIfEnded(flink, job, status);
            return status == JobStatus.FINISHED ? Optional.of(Optional.<CheckpointStatistics>empty()) : Optional.<Optional<CheckpointStatistics>>empty();
        }).orElseThrow(() -> Failure.of(ExitCode.TIMEOUT, "job %s completed no checkpoint within %ds of kill %d", job,
                request.timeout().toSeconds(), n));
        Long checkpointAfter = after.map(c -> c.getLatestAckTimestamp() - killedAt).orElse(null);
        after.ifPresentOrElse(c -> output.progress("kill %d: checkpoint %d completed %.1f s after the kill", n, c.getId(), checkpointAfter / 1000.0),
                () -> output.progress("kill %d: the job finished before checkpointing again", n));
        CheckpointingStatistics cps = flink.checkpoints(job);
        Long restored = Optional.ofNullable(cps.getLatestCheckpoints().getRestoredCheckpointStatistics()).map(c -> c.getId()).orElse(null);
        String status = moment.checkpointId() == null ? null : cps.getHistory().stream()
                .filter(c -> c.getId() == moment.checkpointId()).findFirst().map(c -> c.getStatus().name())
                .orElse("not in the history any more");
        Long beforeKill = moment.checkpointCompletedAt() == null ? null : killedAt - moment.checkpointCompletedAt();
        String rootCause = JobWatch.latestFailure(flink, job).filter(e -> e.getTimestamp() >= killedAt)
                .map(e -> RootCause.of(e.getStacktrace())).orElse(null);
        return new Kill(n, request.at().toString(), pid, replacement, moment.checkpointId(), status, beforeKill, detected, running,
                checkpointAfter, after.map(CheckpointStatistics::getId).orElse(null), restored, rootCause);
    }

    private static List<RootExceptionInfo> history(FlinkRest flink, JobID job) {
        return flink.exceptions(job).getExceptionHistory().getEntries();
    }

    private static Optional<CheckpointStatistics> latestCompleted(CheckpointingStatistics cps) {
        return Optional.ofNullable(cps.getLatestCheckpoints().getCompletedCheckpointStatistics()).map(c -> (CheckpointStatistics) c);
    }

    public static void main(String[] args) {
        CommandRunner.main(new Chaos(), args);
    }
}
