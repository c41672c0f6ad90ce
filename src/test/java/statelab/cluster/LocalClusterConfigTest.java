package statelab.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.configuration.JobManagerOptions;
import org.apache.flink.configuration.MemorySize;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateBackendOptions;
import org.apache.flink.configuration.TaskManagerOptions;
import org.apache.flink.runtime.clusterframework.TaskExecutorProcessUtils;
import org.apache.flink.runtime.jobmanager.JobManagerProcessUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import statelab.testing.Checkout;

/** config.yaml as Flink 2.3 reads it, and the per-instance overrides the local cluster applies to it. */
class LocalClusterConfigTest {
    static Configuration projectConfig() {
        return GlobalConfiguration.loadConfiguration(Checkout.ROOT.toString());
    }

    @Test
    void configYamlSaysWhatTheExperimentsNeed() {
        Configuration c = projectConfig();
        assertThat(c.get(StateBackendOptions.STATE_BACKEND)).isEqualTo("rocksdb");
        assertThat(c.get(CheckpointingOptions.INCREMENTAL_CHECKPOINTS)).isTrue();
        assertThat(c.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).isNotBlank();
        assertThat(c.get(CheckpointingOptions.SAVEPOINT_DIRECTORY)).isNotBlank();
        // bounded restarts with a stated delay: a TaskManager kill (chaos) is recovered from, a broken restore ends FAILED
        assertThat(c.get(RestartStrategyOptions.RESTART_STRATEGY)).isEqualTo("failure-rate");
        assertThat(c.get(RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_MAX_FAILURES_PER_INTERVAL)).isBetween(3, 20);
        assertThat(c.get(RestartStrategyOptions.RESTART_STRATEGY_FAILURE_RATE_DELAY)).isEqualTo(java.time.Duration.ofSeconds(1));
        // a dead TaskManager noticed in seconds, and a restart that waits for its replacement's slots
        assertThat(c.get(org.apache.flink.configuration.HeartbeatManagerOptions.HEARTBEAT_INTERVAL)).isEqualTo(java.time.Duration.ofSeconds(1));
        assertThat(c.get(org.apache.flink.configuration.ResourceManagerOptions.STANDALONE_CLUSTER_STARTUP_PERIOD_TIME))
                .isGreaterThan(java.time.Duration.ofHours(1));
        assertThat(c.get(RestOptions.BIND_ADDRESS)).isEqualTo("127.0.0.1");
        assertThat(c.get(JobManagerOptions.BIND_HOST)).isEqualTo("127.0.0.1");
        assertThat(c.get(TaskManagerOptions.BIND_HOST)).isEqualTo("127.0.0.1");
        assertThat(c.getString("env.java.opts.all", "")).contains("--add-opens=java.base/java.util=ALL-UNNAMED");
    }

    @Test
    void memoryFitsASmallMachineAndFlinkCanDeriveTheProcessSpecs() {
        Configuration c = projectConfig();
        MemorySize jm = JobManagerProcessUtils.processSpecFromConfig(c).getTotalProcessMemorySize();
        MemorySize tm = TaskExecutorProcessUtils.processSpecFromConfig(c).getTotalProcessMemorySize();
        assertThat(jm.add(tm).getMebiBytes()).as("JM + TM process memory, MiB").isLessThanOrEqualTo(4096);
    }

    @Test
    void instanceOverridesOnlyTheLocalDifferences(@TempDir Path dir) throws Exception {
        LocalCluster cluster = new LocalCluster(dir);
        Configuration written = cluster.writeConfiguration(Checkout.ROOT.resolve("config.yaml"), LocalCluster.Network.loopback(18999, 43210), 3);
        Configuration reread = GlobalConfiguration.loadConfiguration(cluster.confDir().toString());
        Map<String, String> overrides = cluster.instanceOverrides(LocalCluster.Network.loopback(18999, 43210), 3);

        assertThat(reread.toMap()).isEqualTo(written.toMap());
        assertThat(reread.get(RestOptions.PORT)).isEqualTo(18999);
        assertThat(reread.get(JobManagerOptions.PORT)).isEqualTo(43210);
        assertThat(reread.get(TaskManagerOptions.NUM_TASK_SLOTS)).isEqualTo(3);
        assertThat(reread.get(CheckpointingOptions.SAVEPOINT_DIRECTORY)).isEqualTo(dir.resolve("savepoints").toUri().toString());
        assertThat(reread.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).isEqualTo(dir.resolve("checkpoints").toUri().toString());
        assertThat(overrides.entrySet()).allSatisfy(e -> {
            if (e.getKey().endsWith("address") || e.getKey().endsWith("host") || e.getKey().endsWith("bind-host")) {
                assertThat(e.getValue()).as(e.getKey()).isEqualTo("127.0.0.1");
            }
        });
        // everything config.yaml says and the overrides do not touch arrives unchanged
        projectConfig().toMap().forEach((key, value) -> {
            if (!overrides.containsKey(key)) {
                assertThat(reread.toMap()).as("key %s", key).containsEntry(key, value);
            }
        });
    }

    @Test
    void remoteCheckpointAndSavepointDirectoriesInConfigYamlAreKeptAndNeedTheS3Plugin(@TempDir Path dir) throws Exception {
        Path config = dir.resolve("config.yaml");
        Files.writeString(config, Files.readString(Checkout.ROOT.resolve("config.yaml"))
                .replace("dir: file:///opt/flink/checkpoints", "dir: s3://bucket/checkpoints")
                .replace("savepoint-dir: file:///opt/flink/savepoints", "savepoint-dir: s3a://bucket/savepoints"));
        LocalCluster cluster = new LocalCluster(dir.resolve("instance"));
        Configuration written = cluster.writeConfiguration(config, LocalCluster.Network.loopback(18999, 43210), null);
        assertThat(written.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).isEqualTo("s3://bucket/checkpoints");
        assertThat(written.get(CheckpointingOptions.SAVEPOINT_DIRECTORY)).isEqualTo("s3a://bucket/savepoints");

        // `cluster run --savepoints` still names where savepoints go
        LocalCluster given = new LocalCluster(dir.resolve("instance2"), dir.resolve("host-savepoints"));
        Configuration run = given.writeConfiguration(config, LocalCluster.Network.loopback(18999, 43210), null);
        assertThat(run.get(CheckpointingOptions.SAVEPOINT_DIRECTORY)).isEqualTo(dir.resolve("host-savepoints").toUri().toString());
        assertThat(run.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY)).isEqualTo("s3://bucket/checkpoints");

        // the project's own config names no S3 location: its cluster never loads the plugin
        Configuration local = new LocalCluster(dir.resolve("instance3"))
                .writeConfiguration(Checkout.ROOT.resolve("config.yaml"), LocalCluster.Network.loopback(18999, 43210), null);
        assertThat(LocalCluster.plugins(local, line -> { })).isNull();
    }

    @Test
    void inContainersTheProcessesListenEverywhereFindTheJobManagerByNameAndSaveWhereTheHostLooks(@TempDir Path dir) throws Exception {
        Path hostSavepoints = dir.resolve("host/savepoints");
        LocalCluster cluster = new LocalCluster(dir.resolve("opt-flink"), hostSavepoints);
        cluster.writeConfiguration(Checkout.ROOT.resolve("config.yaml"),
                new LocalCluster.Network("0.0.0.0", "jobmanager", null, 8081, 6123), null);
        Configuration reread = GlobalConfiguration.loadConfiguration(cluster.confDir().toString());

        assertThat(reread.getString("jobmanager.rpc.address", null)).isEqualTo("jobmanager");
        assertThat(reread.getString("rest.address", null)).isEqualTo("jobmanager");
        assertThat(reread.getString("jobmanager.bind-host", null)).isEqualTo("0.0.0.0");
        assertThat(reread.getString("taskmanager.bind-host", null)).isEqualTo("0.0.0.0");
        assertThat(reread.getString("rest.bind-address", null)).isEqualTo("0.0.0.0");
        // config.yaml's 127.0.0.1 is gone: each TaskManager replica finds and advertises its own address
        assertThat(projectConfig().toMap()).containsKey("taskmanager.host");
        assertThat(reread.toMap()).doesNotContainKey("taskmanager.host");
        assertThat(reread.get(JobManagerOptions.PORT)).isEqualTo(6123);
        assertThat(reread.get(CheckpointingOptions.SAVEPOINT_DIRECTORY)).isEqualTo(hostSavepoints.toUri().toString());
        assertThat(reread.get(TaskManagerOptions.NUM_TASK_SLOTS)).isEqualTo(projectConfig().get(TaskManagerOptions.NUM_TASK_SLOTS));
    }
}
