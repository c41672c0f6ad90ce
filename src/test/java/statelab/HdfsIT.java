package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import statelab.cli.ExitCode;
import statelab.testing.Checkout;
import statelab.testing.HdfsServer;
import statelab.testing.Proc;
import statelab.testing.RestProbe;
import statelab.testing.TestCluster;

/**
 * Savepoints on HDFS (issue 11), with real parts only: a NameNode and a DataNode on 127.0.0.1 ({@link HdfsServer},
 * Hadoop's MiniDFSCluster), a local cluster of its own whose checkpoints and savepoints go there through the HDFS
 * plugin ({@code hdfs://} locations in config.yaml, as for Flink), and StateLab's commands on {@code hdfs://}
 * locations, in real shell pipes.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class HdfsIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path WORK = Checkout.TARGET.resolve("it-hdfs");
    static final Path CLUSTER = WORK.resolve("cluster");
    static HdfsServer hdfs;
    static String rest;

    @BeforeAll
    static void startHdfsAndACluster() throws IOException {
        Checkout.jbang(Map.of(), "cluster", "stop", "--dir", CLUSTER.toString()); // a previous run killed before its cleanup
        S3IT.deleteTree(WORK);
        hdfs = HdfsServer.start(WORK.resolve("hdfs"));
        Path conf = Files.createDirectories(WORK.resolve("conf"));
        String config = Files.readString(Checkout.ROOT.resolve("config.yaml"))
                .replace("dir: file:///opt/flink/checkpoints", "dir: " + hdfs.uri() + "/checkpoints")
                .replace("savepoint-dir: file:///opt/flink/savepoints", "savepoint-dir: " + hdfs.uri() + "/savepoints");
        assertThat(config).contains(hdfs.uri() + "/checkpoints", hdfs.uri() + "/savepoints");
        // Hadoop's settings as Flink passes them on (flink.hadoop.*): a NameNode that does not answer is given up on
        // after two retries a second apart, not ten
        Files.writeString(conf.resolve("config.yaml"), config + "\nflink.hadoop.ipc.client.connect.max.retries: 2\n");
        rest = TestCluster.startOwn(CLUSTER, conf.resolve("config.yaml"), env(Map.of()));
    }

    @AfterEach
    void freeTheSlots() {
        if (rest != null) {
            RestProbe.cancelAll(rest);
        }
    }

    @AfterAll
    static void stopEverything() {
        Checkout.jbang(Map.of(), "cluster", "stop", "--dir", CLUSTER.toString());
        if (hdfs != null) {
            hdfs.close();
        }
    }

    /** What commands run with: the cluster and its config.yaml (FLINK_CONF_DIR, as for Flink's own CLI). */
    static Map<String, String> env(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>();
        env.put("FLINK_CONF_DIR", WORK.resolve("conf").toString());
        if (rest != null) {
            env.put("STATELAB_REST_URL", rest);
        }
        env.putAll(extra);
        return Checkout.env(env);
    }

    static Proc.Result pipe(String script) {
        return Proc.bash(script, Checkout.ROOT, env(Map.of()), Duration.ofMinutes(5));
    }

    @Test
    void theWholePipeOnHdfsGivesRocksDbsVerdictAndKeepsTheOriginalAsABackup() throws IOException {
        Proc.Result r = pipe("./jbang submit word-count -- --keep-running | ./jbang savepoint | ./jbang swap-sst --json | tee "
                + WORK.resolve("swapped.json") + " | ./jbang resume");
        assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.RESTORE_FAILED.code);
        assertThat(r.out().lines().toList()).as("stdout is the verdict, one line").singleElement().asString()
                .matches("RESTORE_FAILED [0-9a-f]{32}: " + PipelineIT.ROCKSDB_DETECTED);
        assertThat(r.ownErrLines()).isEmpty();

        JsonNode swapped = JSON.readTree(WORK.resolve("swapped.json").toFile());
        String savepoint = swapped.get("savepoint").asText();
        assertThat(savepoint).startsWith(hdfs.uri() + "/savepoints/savepoint-");
        assertThat(swapped.get("sst").asText()).startsWith(savepoint + "/");
        assertThat(swapped.get("backup").asText()).as("the original is kept beside the result").isEqualTo(swapped.get("sst").asText() + ".bak");

        // the backup is there: a second swap of the same savepoint is refused
        Proc.Result again = Checkout.jbang(env(Map.of()), "swap-sst", savepoint);
        assertThat(again.exit()).as("%s", again).isEqualTo(ExitCode.CONFLICT.code);
        assertThat(again.ownErrLines()).as("%s", again).last().asString().startsWith("error: backup ").contains(".bak already exists");
    }

    @Test
    void inspectEditAndDiffWorkOnSavepointsOnHdfsAndTheEditIsANewSavepointBesideTheOriginal() throws Exception {
        Proc.Result taken = pipe("./jbang submit word-count -- --keep-running | ./jbang savepoint");
        assertThat(taken.exit()).as("%s", taken).isZero();
        String savepoint = taken.out().strip();
        assertThat(savepoint).startsWith(hdfs.uri() + "/savepoints/");

        Proc.Result summary = Checkout.jbang(env(Map.of()), "inspect", "--json", savepoint);
        assertThat(summary.exit()).as("%s", summary).isZero();
        assertThat(JSON.readTree(summary.out()).get("operators").toString()).contains("word-counter");

        Proc.Result edited = Checkout.jbang(env(Map.of()), "edit", "--zero-last", "1", "--json", savepoint);
        assertThat(edited.exit()).as("%s", edited).isZero();
        assertThat(JSON.readTree(edited.out()).get("savepoint").asText()).isEqualTo(savepoint + "-edit-1");

        // diff reads every entry of both, on HDFS: the one change, and the exit code that says they differ
        Proc.Result diff = Checkout.jbang(env(Map.of()), "diff", savepoint, savepoint + "-edit-1");
        assertThat(diff.exit()).as("%s", diff).isEqualTo(ExitCode.DIFFERENT.code);
        assertThat(diff.out().lines().filter(line -> line.startsWith("changed  "))).hasSize(1);
    }

    @Test
    void aSwapKilledBetweenTwoUploadsToHdfsIsFinishedByTheNextCommand() throws Exception {
        Proc.Result taken = pipe("./jbang submit word-count -- --keep-running | ./jbang savepoint");
        assertThat(taken.exit()).as("%s", taken).isZero();
        String savepoint = taken.out().strip();

        // swap-sst, paused after its first upload (the backup goes first, each file written beside its target and
        // renamed over it) and SIGKILLed there
        S3IT.swapKilledAt("publish-between-uploads", savepoint, env(Map.of()));

        // the next command on that savepoint says so, finishes the upload from its copy, and the verdict is the tamper's
        Proc.Result resumed = Checkout.jbang(env(Map.of()), "resume", savepoint);
        assertThat(resumed.exit()).as("%s", resumed).isEqualTo(ExitCode.RESTORE_FAILED.code);
        assertThat(resumed.ownErrLines()).singleElement().asString()
                .startsWith("warning: an earlier upload to " + savepoint + " was interrupted with ");
        assertThat(resumed.out()).matches("(?s)RESTORE_FAILED [0-9a-f]{32}: " + PipelineIT.ROCKSDB_DETECTED);
    }

    @Test
    void badHdfsLocationsFailInOneLine() throws IOException {
        // a NameNode that is not there: Hadoop's client gives up after its retries (two here, see config.yaml above), in one line
        int nobody = TestCluster.freePort();
        Proc.Result down = Checkout.jbang(env(Map.of()), "swap-sst", "hdfs://127.0.0.1:" + nobody + "/savepoints/savepoint-1");
        assertThat(down.exit()).as("%s", down).isNotZero();
        assertThat(down.ownErrLines()).as("%s", down).singleElement().asString().startsWith("error: ");

        // a savepoint that is not there
        Proc.Result missing = Checkout.jbang(env(Map.of()), "swap-sst", hdfs.uri() + "/savepoints/savepoint-000000-000000000000");
        assertThat(missing.exit()).as("%s", missing).isEqualTo(ExitCode.NOT_FOUND.code);
        assertThat(missing.ownErrLines()).singleElement().asString().contains("no savepoint at " + hdfs.uri());
    }

}
