package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statelab.cli.ExitCode;
import statelab.testing.Checkout;
import statelab.testing.Proc;
import statelab.testing.RestProbe;
import statelab.testing.TestCluster;

/** The cluster script against real processes: start, idempotence, port conflicts, status, logs, stop. */
@ExtendWith(TestCluster.class)
class ClusterIT {
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void runsAJobManagerAndATaskManagerAsTwoProcessesBehindTheRestApiAndWebUi() {
        TestCluster.Instance c = TestCluster.get();
        assertThat(c.jobManagerPid()).isNotEqualTo(c.taskManagerPid());
        ProcessHandle jm = ProcessHandle.of(c.jobManagerPid()).orElseThrow();
        ProcessHandle tm = ProcessHandle.of(c.taskManagerPid()).orElseThrow();
        assertThat(jm.info().commandLine().orElseThrow()).contains("StandaloneSessionClusterEntrypoint");
        assertThat(tm.info().commandLine().orElseThrow()).contains("TaskManagerRunner");

        JsonNode overview = RestProbe.get(c.restUrl(), "/overview");
        assertThat(overview.get("taskmanagers").asInt()).isEqualTo(1);
        assertThat(overview.get("slots-total").asInt()).isEqualTo(2);
        assertThat(overview.get("flink-version").asText()).isEqualTo("2.3.0");
        assertThat(RestProbe.getText(c.restUrl(), "/")).contains("<html").contains("Apache Flink");
        assertThat(c.restUrl()).startsWith("http://127.0.0.1:");
    }

    @Test
    void statusReportsTheRunningInstance() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        Proc.Result r = Checkout.jbang(Map.of(), "cluster", "status", "--dir", c.dir().toString(), "--json");
        assertThat(r.exit()).as("%s", r).isZero();
        JsonNode s = JSON.readTree(r.out());
        assertThat(s.get("running").asBoolean()).isTrue();
        assertThat(s.get("restUrl").asText()).isEqualTo(c.restUrl());
        assertThat(s.get("jobManagerPid").asLong()).isEqualTo(c.jobManagerPid());
        assertThat(s.get("taskManagerPid").asLong()).isEqualTo(c.taskManagerPid());
        assertThat(s.get("slotsTotal").asInt()).isEqualTo(2);
    }

    @Test
    void aSecondStartIsANoOp() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        Proc.Result r = Checkout.jbang(Map.of(), "cluster", "start", "--port", Integer.toString(c.port()), "--dir", c.dir().toString(), "--json");
        assertThat(r.exit()).as("%s", r).isZero();
        JsonNode s = JSON.readTree(r.out());
        assertThat(s.get("jobManagerPid").asLong()).isEqualTo(c.jobManagerPid());
        assertThat(s.get("taskManagerPid").asLong()).isEqualTo(c.taskManagerPid());
    }

    @Test
    void startOnAPortInUseFailsWithOneLineNamingThePortAndStartsNothing() throws Exception {
        Path dir = Checkout.TARGET.resolve("it-cluster-port-conflict");
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = taken.getLocalPort();
            Proc.Result r = Checkout.jbang(Map.of(), "cluster", "start", "--port", Integer.toString(port), "--dir", dir.toString());
            assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.CONFLICT.code);
            assertThat(r.out()).isEmpty();
            assertThat(r.ownErrLines()).singleElement().asString().startsWith("error: ").contains("port " + port);
        }
        assertThat(dir.resolve(".statelab/cluster.json")).doesNotExist();
    }

    @Test
    void stopEndsExactlyTheProcessesItStartedAndWaitsForThem() throws Exception {
        Path dir = Checkout.TARGET.resolve("it-cluster-stop");
        int port = TestCluster.freePort();
        // started through the umbrella command, whose JVM also carries swap-sst's rocksdbjni (as the REPL's does)
        Proc.Result started = Checkout.jbang(Map.of(), "statelab", "cluster", "start", "--port", Integer.toString(port), "--dir",
                dir.toString(), "--slots", "1", "--json");
        assertThat(started.exit()).as("%s", started).isZero();
        JsonNode s = JSON.readTree(started.out());
        long jm = s.get("jobManagerPid").asLong();
        long tm = s.get("taskManagerPid").asLong();
        try {
            assertThat(ProcessHandle.of(jm)).isPresent();
            assertThat(ProcessHandle.of(tm)).isPresent();
            for (long pid : new long[] {jm, tm}) {
                List<String> classpath = classpathOf(pid);
                assertThat(classpath).as("the cluster's own classpath: Flink's RocksDB fork").anyMatch(j -> j.contains("frocksdbjni"));
                assertThat(classpath).as("never the command's rocksdbjni beside it (both are package org.rocksdb)")
                        .noneMatch(j -> j.contains("/org/rocksdb/rocksdbjni/"));
            }
            TestCluster.Instance shared = TestCluster.get();

            // stop and status take the --port that start took: the wrong one is refused, with nothing stopped
            int wrong = port == 1 ? 2 : port - 1;
            Proc.Result refused = Checkout.jbang(Map.of(), "cluster", "stop", "--port", Integer.toString(wrong), "--dir", dir.toString());
            assertThat(refused.exit()).as("%s", refused).isEqualTo(ExitCode.NOT_FOUND.code);
            assertThat(refused.ownErrLines()).singleElement().asString().startsWith("error: ").contains("runs on port " + port);
            assertThat(ProcessHandle.of(jm).map(ProcessHandle::isAlive)).as("JobManager still up").contains(true);
            Proc.Result statusByPort = Checkout.jbang(Map.of(), "cluster", "status", "--port", Integer.toString(port), "--dir", dir.toString());
            assertThat(statusByPort.exit()).as("%s", statusByPort).isZero();

            Proc.Result stopped = Checkout.jbang(Map.of(), "cluster", "stop", "--port", Integer.toString(port), "--dir", dir.toString(),
                    "--json");
            assertThat(stopped.exit()).as("%s", stopped).isZero();
            assertThat(JSON.readTree(stopped.out()).get("stopped")).extracting(JsonNode::asLong).containsExactlyInAnyOrder(jm, tm);
            assertThat(ProcessHandle.of(jm).map(ProcessHandle::isAlive)).as("JobManager gone").isNotEqualTo(java.util.Optional.of(true));
            assertThat(ProcessHandle.of(tm).map(ProcessHandle::isAlive)).as("TaskManager gone").isNotEqualTo(java.util.Optional.of(true));
            assertThat(ProcessHandle.of(shared.jobManagerPid())).as("another instance's JobManager untouched").isPresent();
            assertThat(ProcessHandle.of(shared.taskManagerPid())).as("another instance's TaskManager untouched").isPresent();

            Proc.Result status = Checkout.jbang(Map.of(), "cluster", "status", "--dir", dir.toString());
            assertThat(status.exit()).isEqualTo(ExitCode.UNREACHABLE.code);
            assertThat(status.out().strip()).isEqualTo("stopped");

            Proc.Result again = Checkout.jbang(Map.of(), "cluster", "stop", "--dir", dir.toString());
            assertThat(again.exit()).isZero();
            assertThat(again.out().strip()).isEqualTo("not running");
        } finally {
            ProcessHandle.of(tm).ifPresent(ProcessHandle::destroyForcibly);
            ProcessHandle.of(jm).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    /** The CLASSPATH a cluster process was started with (LocalCluster passes it through the environment). */
    static List<String> classpathOf(long pid) throws java.io.IOException {
        String environ = new String(Files.readAllBytes(Path.of("/proc/" + pid + "/environ")), java.nio.charset.StandardCharsets.UTF_8);
        for (String entry : environ.split("\0")) {
            if (entry.startsWith("CLASSPATH=")) {
                return List.of(entry.substring("CLASSPATH=".length()).split(":"));
            }
        }
        throw new AssertionError("process " + pid + " has no CLASSPATH in its environment");
    }

    @Test
    void logsPrintTheJobManagerLogAndTheTaskManagerStdout() {
        TestCluster.Instance c = TestCluster.get();
        Proc.Result jm = Checkout.jbang(Map.of(), "cluster", "logs", "jm", "-n", "5", "--dir", c.dir().toString());
        assertThat(jm.exit()).as("%s", jm).isZero();
        assertThat(jm.out().lines()).hasSize(5);
        assertThat(Files.exists(c.dir().resolve("logs/jobmanager.log"))).isTrue();
        Proc.Result tm = Checkout.jbang(Map.of(), "cluster", "logs", "tm", "--stdout", "--dir", c.dir().toString());
        assertThat(tm.exit()).as("%s", tm).isZero();
        Proc.Result bad = Checkout.jbang(Map.of(), "cluster", "logs", "zk", "--dir", c.dir().toString());
        assertThat(bad.exit()).isEqualTo(ExitCode.USAGE.code);
        assertThat(bad.ownErrLines()).singleElement().asString().startsWith("error: ");
    }
}
