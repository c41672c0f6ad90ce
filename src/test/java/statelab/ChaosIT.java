package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import statelab.cli.ExitCode;
import statelab.testing.Checkout;
import statelab.testing.InProcess;
import statelab.testing.Proc;
import statelab.testing.RestProbe;
import statelab.testing.TestCluster;

/**
 * Exactly-once under fire, on a real cluster of its own (its TaskManager is killed here, so the shared one is left
 * alone): sum-job with TaskManager kills at random points, right after a checkpoint and in the middle of one, with a
 * savepoint midway, with a tampered savepoint midway, and embedded. Each run's committed output is checked by the
 * verifier, and what Flink did (failures, restarts, the checkpoint it restored) is read from its REST API.
 */
@Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES)
class ChaosIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path DIR = Checkout.TARGET.resolve("it-chaos-cluster");
    /** Every process the cluster recorded while the tests ran (replacement TaskManagers included), for the cleanup. */
    static final Set<Long> PIDS = new LinkedHashSet<>();
    static String rest;

    @BeforeAll
    static void startCluster() throws IOException {
        Checkout.jbang(Map.of(), "cluster", "stop", "--dir", DIR.toString()); // a previous run killed before its cleanup
        int port = TestCluster.freePort();
        Proc.Result r = Checkout.jbang(Map.of(), "cluster", "start", "--port", Integer.toString(port), "--dir", DIR.toString(), "--json");
        assertThat(r.exit()).as("cluster start: %s", r).isZero();
        rest = JSON.readTree(r.out()).get("restUrl").asText();
        recordPids();
    }

    @AfterEach
    void freeTheSlots() throws IOException {
        recordPids();
        RestProbe.cancelAll(rest);
    }

    @AfterAll
    static void stopCluster() throws IOException {
        recordPids();
        Checkout.jbang(Map.of(), "cluster", "stop", "--dir", DIR.toString());
        for (long pid : PIDS) {
            ProcessHandle.of(pid).filter(p -> p.info().commandLine().orElse("").contains(DIR.toString()))
                    .ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    private static void recordPids() throws IOException {
        Path state = DIR.resolve(".statelab/cluster.json");
        if (Files.isRegularFile(state)) {
            JsonNode n = JSON.readTree(state.toFile());
            PIDS.add(n.get("jobManagerPid").asLong());
            PIDS.add(n.get("taskManagerPid").asLong());
        }
    }

    private static Path output(String name) throws IOException {
        Path out = Checkout.TARGET.resolve("it-chaos-" + name);
        JobsIT.deleteTree(out);
        return out;
    }

    private static JsonNode json(InProcess.Result r) throws IOException {
        return JSON.readTree(r.out());
    }

    @Test
    void threeTaskManagerKillsLeaveTheOutputExactlyOnceAndFlinkRestartsOncePerKill() throws Exception {
        Path out = output("three-kills");
        // as a user types it, in a JVM of its own
        Proc.Result r = Checkout.jbang(Map.of(), "sum-job", "--rest-url", rest, "--dir", DIR.toString(), "--kill-tm", "3",
                "--records", "8000", "--rate", "200", "--seed", "3", "--output", out.toString(), "--json");
        assertThat(r.exit()).as("%s", r).isZero();
        JsonNode v = JSON.readTree(r.out());
        assertThat(v.get("verdict").asText()).isEqualTo("EXACTLY_ONCE_OK");
        assertThat(v.get("lines").asLong()).isEqualTo(8001);
        assertThat(v.get("duplicates").asLong()).isZero();
        assertThat(v.get("gaps").asLong()).isZero();
        JsonNode kills = v.get("chaos").get("kills");
        assertThat(kills).hasSize(3);
        // one failure and one restart per kill, as Flink reports them
        assertThat(v.get("failures").asInt()).isEqualTo(3);
        assertThat(v.get("restarts").asInt()).isEqualTo(3);
        List<Long> killed = new ArrayList<>();
        for (JsonNode k : kills) {
            killed.add(k.get("pid").asLong());
            assertThat(ProcessHandle.of(k.get("pid").asLong())).as("killed TaskManager pid %s", k.get("pid")).isEmpty();
            assertThat(k.get("rootCause").asText()).contains("is no longer reachable");
            assertThat(k.get("detectedMillis").asLong()).isNotNegative();
            assertThat(k.get("runningMillis").asLong()).isGreaterThanOrEqualTo(k.get("detectedMillis").asLong());
            assertThat(k.get("restoredCheckpoint").isNumber()).as("restored from a checkpoint: %s", k).isTrue();
        }
        // each kill hit the TaskManager the one before it started
        assertThat(killed.get(1)).isEqualTo(kills.get(0).get("replacementPid").asLong());
        assertThat(killed.get(2)).isEqualTo(kills.get(1).get("replacementPid").asLong());
        // the final sum: the last committed line is the last record's, 10 + 990
        assertThat(lastLine(out)).isEqualTo("8000 1000");
    }

    @Test
    void aKillRightAfterACheckpointRestoresThatCheckpointAndTheOutputIsExactlyOnce() throws Exception {
        InProcess.Result r = InProcess.run(new SumJobCommand(), "--rest-url", rest, "--dir", DIR.toString(), "--kill-tm", "1",
                "--kill-at", "checkpoint", "--records", "4000", "--rate", "200", "--output", output("at-checkpoint").toString(), "--json");
        assertThat(r.exit()).as("%s", r).isZero();
        JsonNode v = json(r);
        assertThat(v.get("verdict").asText()).isEqualTo("EXACTLY_ONCE_OK");
        JsonNode kill = v.get("chaos").get("kills").get(0);
        assertThat(kill.get("checkpointStatus").asText()).isEqualTo("COMPLETED");
        // no checkpoint completed between the one the kill was timed by and the kill: Flink restored exactly that one
        assertThat(kill.get("restoredCheckpoint").asLong()).isEqualTo(kill.get("checkpointId").asLong());
    }

    @Test
    void aKillInTheMiddleOfACheckpointCutsItOffRestoresTheOneBeforeAndTheOutputIsExactlyOnce() throws Exception {
        InProcess.Result r = InProcess.run(new SumJobCommand(), "--rest-url", rest, "--dir", DIR.toString(), "--kill-tm", "1",
                "--kill-at", "mid-checkpoint", "--records", "4000", "--rate", "200", "--output", output("mid-checkpoint").toString(),
                "--json");
        assertThat(r.exit()).as("%s", r).isZero();
        JsonNode v = json(r);
        assertThat(v.get("verdict").asText()).isEqualTo("EXACTLY_ONCE_OK");
        JsonNode kill = v.get("chaos").get("kills").get(0);
        // the checkpoint seen in flight never completed: the kill cut it off
        assertThat(kill.get("checkpointStatus").asText()).isEqualTo("FAILED");
        assertThat(kill.get("restoredCheckpoint").asLong()).isLessThan(kill.get("checkpointId").asLong());
    }

    @Test
    void aSavepointMidwayAndAResumeFromItLeaveTheOutputExactlyOnce() throws Exception {
        InProcess.Result r = InProcess.run(new SumJobCommand(), "--rest-url", rest, "--savepoint-midway", "--records", "4000",
                "--rate", "200", "--output", output("savepoint-midway").toString(), "--json");
        assertThat(r.exit()).as("%s", r).isZero();
        JsonNode v = json(r);
        assertThat(v.get("verdict").asText()).isEqualTo("EXACTLY_ONCE_OK");
        JsonNode midway = v.get("midway");
        assertThat(midway.get("resumed").get("verdict").asText()).isEqualTo("RESTORED");
        assertThat(Path.of(midway.get("savepoint").asText()).resolve("_metadata")).isRegularFile();
        assertThat(v.get("jobId").asText().split(",")).hasSize(2);
    }

    @Test
    void aSavepointTamperedWithSwapSstIsRefusedAndThatIsTheVerdictAtOnce() throws Exception {
        InProcess.Result r = InProcess.run(new SumJobCommand(), "--rest-url", rest, "--tamper", "block", "--records", "4000",
                "--rate", "200", "--output", output("tamper-block").toString());
        assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.RESTORE_FAILED.code);
        assertThat(r.out().lines().toList()).singleElement().asString().startsWith("RESTORE_FAILED ").contains("RocksDBException");
    }

    @Test
    void aConsistentlyEditedSavepointIsRestoredAndTheVerifierSaysWhereTheOutputDiverges() throws Exception {
        Path out = output("tamper-edit");
        InProcess.Result r = InProcess.run(new SumJobCommand(), "--rest-url", rest, "--tamper", "edit", "--records", "4000",
                "--rate", "200", "--output", out.toString(), "--json");
        assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.NOT_EXACTLY_ONCE.code);
        JsonNode v = json(r);
        assertThat(v.get("verdict").asText()).isEqualTo("EXACTLY_ONCE_BROKEN");
        assertThat(v.get("midway").get("resumed").get("verdict").asText()).isEqualTo("RESTORED");
        // every record is there once; from the first one the resumed job wrote, each sum is one too high
        assertThat(v.get("duplicates").asLong()).isZero();
        assertThat(v.get("gaps").asLong()).isZero();
        // the wrong sums are one unbroken tail: every line from the first wrong one to the end, and that one opens a file
        long firstWrong = 4001 - v.get("wrongSums").asLong();
        assertThat(firstWrong).as("diverged midway").isBetween(1L, 3999L);
        assertThat(v.get("firstProblem").asText()).startsWith("WRONG_SUM at sum-")
                .endsWith(":1: index " + firstWrong + ": sum 11, expected 10");
        assertThat(lastLine(out)).isEqualTo("4000 1001");
    }

    @Test
    void embeddedTheJobRunsInAMiniClusterAndItsOutputIsExactlyOnce() throws Exception {
        InProcess.Result r = InProcess.run(new SumJobCommand(), "--local", "--records", "3000", "--output", output("local").toString(),
                "--json");
        assertThat(r.exit()).as("%s", r).isZero();
        JsonNode v = json(r);
        assertThat(v.get("verdict").asText()).isEqualTo("EXACTLY_ONCE_OK");
        assertThat(v.get("lines").asLong()).isEqualTo(3001);
    }

    @Test
    void faultsThatCannotBeMadeAreUsageErrorsAndNothingIsStarted() throws Exception {
        int jobsBefore = RestProbe.get(rest, "/jobs").get("jobs").size();
        InProcess.Result local = InProcess.run(new SumJobCommand(), "--local", "--kill-tm", "1");
        assertThat(local.exit()).isEqualTo(ExitCode.USAGE.code);
        assertThat(local.errLines()).singleElement().asString().contains("--local");
        InProcess.Result killAt = InProcess.run(new SumJobCommand(), "--rest-url", rest, "--kill-at", "checkpoint");
        assertThat(killAt.exit()).isEqualTo(ExitCode.USAGE.code);
        assertThat(killAt.errLines()).singleElement().asString().contains("--kill-tm");
        // --dir names another cluster than --rest-url: nothing is killed
        InProcess.Result otherCluster = InProcess.run(new SumJobCommand(), "--rest-url", "http://127.0.0.1:1", "--dir", DIR.toString(),
                "--kill-tm", "1");
        assertThat(otherCluster.exit()).isEqualTo(ExitCode.USAGE.code);
        assertThat(otherCluster.errLines()).singleElement().asString().contains("give the --dir of the cluster at");
        Path empty = Files.createTempDirectory(Checkout.TARGET, "no-cluster-");
        InProcess.Result noCluster = InProcess.run(new Chaos(), "--dir", empty.toString(), "0123456789abcdef0123456789abcdef");
        assertThat(noCluster.exit()).isEqualTo(ExitCode.NOT_FOUND.code);
        assertThat(noCluster.errLines()).singleElement().asString().contains("no local cluster runs in");
        assertThat(RestProbe.get(rest, "/jobs").get("jobs").size()).isEqualTo(jobsBefore);
    }

    /** The output's line of the highest index. */
    private static String lastLine(Path out) throws IOException {
        String best = null;
        long max = -1;
        for (String line : committedLines(out)) {
            long index = Long.parseLong(line.split(" ")[0]);
            if (index > max) {
                max = index;
                best = line;
            }
        }
        return best;
    }

    private static List<String> committedLines(Path out) throws IOException {
        List<String> lines = new ArrayList<>();
        try (Stream<Path> files = Files.list(out)) {
            for (Path p : files.filter(f -> f.getFileName().toString().startsWith("sum-")).sorted().toList()) {
                lines.addAll(Files.readAllLines(p));
            }
        }
        return lines;
    }
}
