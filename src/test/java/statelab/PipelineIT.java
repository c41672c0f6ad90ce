package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statelab.cli.ExitCode;
import statelab.jobs.WordCount;
import statelab.testing.Checkout;
import statelab.testing.InProcess;
import statelab.testing.Proc;
import statelab.testing.RestProbe;
import statelab.testing.TestCluster;

/**
 * The tamper experiment end to end on the real cluster: commands chained by real shell pipes, a verdict from
 * what Flink did. Tampered: RESTORE_FAILED with RocksDB's own root cause. Untampered: RESTORED, and the
 * restored counts show in the job's output.
 */
@ExtendWith(TestCluster.class)
class PipelineIT {
    static final ObjectMapper JSON = new ObjectMapper();
    /**
     * RocksDB refusing, at open, an SST whose size (and, rewritten in full, unique ID) is not what the MANIFEST
     * records. Which message depends on the sizes, all four were seen on real savepoints: the MANIFEST's size
     * checked, the unique ID checked, or the footer read where the recorded size puts it (inside a longer file:
     * "Bad table magic number"; past the end of a shorter one: "Input is too short to be an SST file").
     */
    static final String ROCKSDB_DETECTED = "org\\.rocksdb\\.RocksDBException: "
            + "(Sst file size mismatch|Mismatch in unique ID|Bad table magic number|Input is too short to be an SST file).*";

    @AfterEach
    void freeTheSlots() {
        RestProbe.cancelAll(TestCluster.get().restUrl());
    }

    @Test
    void aSwappedSstIsDetectedAtRestoreAndTheVerdictNamesRocksDbsRootCause() {
        TestCluster.Instance c = TestCluster.get();
        Proc.Result r = Proc.bash("./jbang submit word-count -- --keep-running | ./jbang savepoint | ./jbang swap-sst | ./jbang resume",
                Checkout.ROOT, c.env(), Duration.ofMinutes(5));

        assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.RESTORE_FAILED.code);
        assertThat(r.out().lines().toList()).as("stdout is the verdict, one line").singleElement().asString()
                .matches("RESTORE_FAILED [0-9a-f]{32}: " + ROCKSDB_DETECTED);
        assertThat(r.ownErrLines()).as("no errors, no chatter when stderr is not a terminal").isEmpty();
        String resumed = r.out().split(" ")[1].replace(":", "");
        assertThat(RestProbe.jobState(c.restUrl(), resumed)).as("the job that could not restore is canceled").isEqualTo("CANCELED");
    }

    @Test
    void theSamePipeThroughTheUmbrellaCommandGivesTheSameVerdict() {
        TestCluster.Instance c = TestCluster.get();
        Proc.Result r = Proc.bash("./jbang statelab submit word-count -- --keep-running | ./jbang statelab savepoint"
                        + " | ./jbang statelab swap-sst | ./jbang statelab resume",
                Checkout.ROOT, c.env(), Duration.ofMinutes(5));

        assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.RESTORE_FAILED.code);
        assertThat(r.out().lines().toList()).as("stdout is the verdict, one line").singleElement().asString()
                .matches("RESTORE_FAILED [0-9a-f]{32}: " + ROCKSDB_DETECTED);
        assertThat(r.ownErrLines()).isEmpty();
    }

    @Test
    void anUntouchedSavepointIsRestoredAndTheRestoredCountsShowInTheOutput() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        long seed = 4242;
        int words = 400;
        int letters = 4;
        Map<String, Integer> counts = new LinkedHashMap<>();
        for (long i = 0; i < words; i++) {
            counts.merge(WordCount.word(seed, letters, i), 1, Integer::sum);
        }
        Proc.Result submitted = Checkout.jbang(c.env(), "submit", "word-count", "--", "--keep-running", "--words", Integer.toString(words),
                "--letters", Integer.toString(letters), "--seed", Long.toString(seed));
        assertThat(submitted.exit()).as("%s", submitted).isZero();
        // the savepoint must hold the whole first run: wait until every word's final count is printed
        RestProbe.await("all first-run counts printed", Duration.ofSeconds(60),
                () -> printed(c, counts, 1));

        Proc.Result r = Proc.bash("echo " + submitted.out().strip() + " | ./jbang savepoint | ./jbang resume -- --replay",
                Checkout.ROOT, c.env(), Duration.ofMinutes(5));
        assertThat(r.exit()).as("%s", r).isZero();
        assertThat(r.out().lines().toList()).singleElement().asString().matches("RESTORED [0-9a-f]{32}");
        // a fresh job would count each word at most c times; 2c is only reachable from restored state
        RestProbe.await("every word counted twice its first-run count", Duration.ofSeconds(60), () -> printed(c, counts, 2));
    }

    @Test
    void theOneShotExperimentGivesBothVerdicts() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        Proc.Result tampered = Checkout.jbang(c.env(), "experiment", "--json");
        assertThat(tampered.exit()).as("%s", tampered).isEqualTo(ExitCode.RESTORE_FAILED.code);
        JsonNode t = JSON.readTree(tampered.out());
        assertThat(t.get("verdict").asText()).isEqualTo("RESTORE_FAILED");
        assertThat(t.at("/resume/rootCause").asText()).matches(ROCKSDB_DETECTED);
        assertThat(t.at("/swapSst/changed")).hasSize(5);
        assertThat(t.at("/resume/altered").asBoolean()).isTrue();

        Proc.Result control = Checkout.jbang(c.env(), "experiment", "--control", "--json");
        assertThat(control.exit()).as("%s", control).isZero();
        JsonNode k = JSON.readTree(control.out());
        assertThat(k.get("verdict").asText()).isEqualTo("RESTORED");
        assertThat(k.has("swapSst")).isFalse();
        assertThat(k.at("/resume/altered").asBoolean()).isFalse();
        assertThat(k.at("/resume/firstCheckpointAfterRestore").asLong()).isGreaterThan(k.at("/resume/restoredCheckpointId").asLong());
    }

    @Test
    void resumeNeverWaitsOnARestartLoop() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        String savepoint = tamperedSavepoint(c);
        InProcess.Result r = InProcess.run(new Resume(), savepoint, "--rest-url", c.restUrl(), "--json", "--timeout", "60s",
                "-D", "restart-strategy.type=fixed-delay",
                "-D", "restart-strategy.fixed-delay.attempts=2147483647",
                "-D", "restart-strategy.fixed-delay.delay=200 ms");
        assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.RESTORE_FAILED.code);
        JsonNode v = JSON.readTree(r.out());
        assertThat(v.get("rootCause").asText()).matches(ROCKSDB_DETECTED);
        assertThat(v.get("millisToVerdict").asLong()).as("verdict at the first failure, not at the deadline").isLessThan(30_000);
        assertThat(v.get("canceled").asBoolean()).isTrue();
        assertThat(RestProbe.jobState(c.restUrl(), v.get("jobId").asText())).isEqualTo("CANCELED");
    }

    @Test
    void resumeFreesTheSlotsTheOriginalJobHoldsOrSaysItCannotRun() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        // parallelism 2 on a 2-slot cluster: the original job holds every slot
        InProcess.Result submitted = InProcess.run(new Submit(), "word-count", "-p", "2", "--rest-url", c.restUrl(), "--", "--keep-running");
        assertThat(submitted.exit()).as("%s", submitted).isZero();
        String original = submitted.out().strip();
        InProcess.Result sp = InProcess.run(new Savepoint(), original, "--rest-url", c.restUrl());
        assertThat(sp.exit()).as("%s", sp).isZero();
        String savepoint = sp.out().strip();

        InProcess.Result kept = InProcess.run(new Resume(), savepoint, "--rest-url", c.restUrl(), "--keep-original");
        assertThat(kept.exit()).as("%s", kept).isEqualTo(ExitCode.NO_SLOTS.code);
        assertThat(kept.errLines()).singleElement().asString().containsPattern("(waits for|got no) task slots");
        assertThat(RestProbe.jobState(c.restUrl(), original)).isEqualTo("RUNNING");

        InProcess.Result resumed = InProcess.run(new Resume(), savepoint, "--rest-url", c.restUrl(), "--json");
        assertThat(resumed.exit()).as("%s", resumed).isZero();
        JsonNode v = JSON.readTree(resumed.out());
        assertThat(v.get("verdict").asText()).isEqualTo("RESTORED");
        assertThat(v.get("originalCanceled").asBoolean()).isTrue();
        assertThat(RestProbe.jobState(c.restUrl(), original)).isEqualTo("CANCELED");
    }

    @Test
    void aJobThatEnablesNoCheckpointingGetsAVerdictFromACheckpointResumeTriggers() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        InProcess.Result submitted = InProcess.run(new Submit(), "word-count", "--rest-url", c.restUrl(), "--",
                "--keep-running", "--checkpoint-interval", "0");
        assertThat(submitted.exit()).as("%s", submitted).isZero();
        String original = submitted.out().strip();
        // no periodic checkpoints: the job enables none and the cluster's config.yaml sets no interval
        assertThat(RestProbe.get(c.restUrl(), "/jobs/" + original + "/checkpoints/config").get("interval").asLong())
                .isEqualTo(Long.MAX_VALUE);
        InProcess.Result sp = InProcess.run(new Savepoint(), original, "--rest-url", c.restUrl());
        assertThat(sp.exit()).as("%s", sp).isZero();

        InProcess.Result resumed = InProcess.run(new Resume(), sp.out().strip(), "--rest-url", c.restUrl(), "--json", "--timeout", "60s");
        assertThat(resumed.exit()).as("%s", resumed).isZero();
        JsonNode v = JSON.readTree(resumed.out());
        assertThat(v.get("verdict").asText()).isEqualTo("RESTORED");
        assertThat(v.get("checkpointTriggered").asBoolean()).isTrue();
        assertThat(v.get("firstCheckpointAfterRestore").asLong()).isGreaterThan(v.get("restoredCheckpointId").asLong());
        assertThat(v.get("millisToVerdict").asLong()).as("a verdict, not the deadline").isLessThan(30_000);
        assertThat(RestProbe.jobState(c.restUrl(), v.get("jobId").asText())).isEqualTo("RUNNING");
    }

    /** A savepoint of a running word count with its newest SST rewritten, made by the commands in-process. */
    static String tamperedSavepoint(TestCluster.Instance c) {
        InProcess.Result submitted = InProcess.run(new Submit(), "word-count", "--rest-url", c.restUrl(), "--", "--keep-running");
        assertThat(submitted.exit()).as("%s", submitted).isZero();
        InProcess.Result sp = InProcess.run(new Savepoint(), submitted.out().strip(), "--rest-url", c.restUrl());
        assertThat(sp.exit()).as("%s", sp).isZero();
        InProcess.Result swapped = InProcess.run(new SwapSst(), sp.out().strip());
        assertThat(swapped.exit()).as("%s", swapped).isZero();
        return swapped.out().strip();
    }

    private static boolean printed(TestCluster.Instance c, Map<String, Integer> counts, int times) {
        String out = JobsIT.read(c.taskManagerOut());
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (!out.contains("(" + e.getKey() + "," + (e.getValue() * times) + ")")) {
                return false;
            }
        }
        return true;
    }

}
