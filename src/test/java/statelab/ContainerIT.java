package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import statelab.testing.Checkout;
import statelab.testing.ContainerEngine;
import statelab.testing.Proc;
import statelab.testing.RestProbe;
import statelab.testing.TestCluster;

/**
 * The containerized cluster for real (issue 10): the image built from the checkout's Dockerfile on the base image
 * {@code .ci/containers-setup} makes, run with the docker CLI and Compose v2 against Podman (see
 * {@link ContainerEngine}), and StateLab's commands against it, from the host and from containers. Every container,
 * volume, network and image made here is named after the run and removed by name in {@link #removeEverything}, which
 * fails the run when something is left.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerIT {
    private static final Duration BUILD = Duration.ofMinutes(15);
    private static final Duration RUN = Duration.ofMinutes(4);

    private ContainerEngine engine;
    private Path dir;
    private int port;
    private String restUrl;

    @BeforeAll
    void buildTheImage() throws Exception {
        engine = ContainerEngine.start();
        dir = Files.createDirectories(Checkout.TARGET.resolve(engine.prefix));
        Proc.Result build = engine.buildImage(BUILD);
        assertThat(build.exit()).as("%s build of the image\n%s", engine.cli, tail(build)).isZero();
    }

    @AfterAll
    void removeEverything() {
        if (engine == null) {
            return;
        }
        if (dir != null) {
            engine.compose(dir, composeEnv(), RUN, "down", "-v", "--remove-orphans", "-t", "5");
        }
        List<String> before = engine.leftovers();
        engine.close();
        assertThat(engine.leftovers()).as("left after cleanup (there were %s before it)", before).isEmpty();
    }

    /** A directory a container's user (uid 1000, not this test's) can write, as docs/docker.md tells users to make it. */
    private Path writable(Path d) throws Exception {
        Files.createDirectories(d);
        Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxrwxrwx"));
        return d;
    }

    @Test
    @Order(1)
    void theOneLinerRunsTheWholeExperimentPrintsTheVerdictExitsWithItsCodeAndLeavesTheLogs() throws Exception {
        Path logs = writable(dir.resolve("one-liner/logs"));
        // No --rm: the docker CLI against Podman 4.3's API loses the exit code of a --rm container (podman#18889,
        // fixed in 4.6); with Docker's engine, or `podman run --rm`, the code arrives either way. Removed by name.
        String name = engine.prefix + "-one-liner";
        Proc.Result tampered = engine.cli(RUN, "run", "--name", name, "-v", logs + ":/opt/flink/log", engine.image);
        engine.cli(RUN, "rm", name);
        assertThat(tampered.exit()).as(tail(tampered)).isEqualTo(10);
        assertThat(tampered.out().lines().toList()).as(tail(tampered)).singleElement()
                .satisfies(line -> assertThat(line).startsWith("RESTORE_FAILED ").contains("RocksDBException"));
        for (String log : List.of("jobmanager.log", "taskmanager.log")) {
            assertThat(logs.resolve(log)).as("%s on the host", log).isNotEmptyFile();
        }
        assertThat(Files.readString(logs.resolve("jobmanager.log"))).contains("StandaloneSessionClusterEntrypoint");
        assertThat(Files.readString(logs.resolve("taskmanager.log"))).contains("RocksDBException");

        Proc.Result control = engine.cli(RUN, "run", "--name", name + "-control", "-v", logs + ":/opt/flink/log", engine.image, "--control");
        engine.cli(RUN, "rm", name + "-control");
        assertThat(control.exit()).as(tail(control)).isZero();
        assertThat(control.out().lines().toList()).as(tail(control)).singleElement()
                .satisfies(line -> assertThat(line).startsWith("RESTORED "));
    }

    @Test
    @Order(2)
    void aCommandInTheImageStartsFromItsKeptLineAndTheClassDataArchiveBuiltIntoTheImage() {
        // -Xshare:on: a JVM that cannot map its archive (missing, or not the one of this command line) refuses to start
        String name = engine.prefix + "-kept-line";
        Proc.Result r = engine.cli(RUN, "run", "--name", name, "-e", "STATELAB_LAUNCHER_TRACE=1", "-e",
                "JDK_JAVA_OPTIONS=-Xshare:on", engine.image, "--version");
        engine.cli(RUN, "rm", name);
        assertThat(r.exit()).as(tail(r)).isZero();
        assertThat(r.out()).as(tail(r)).contains("StateLab");
        assertThat(r.err()).as(tail(r)).contains("jbang: statelab: the kept command line")
                .doesNotContain("asking JBang").doesNotContain("writing its class-data archive");
    }

    @Test
    @Order(2)
    void aLogDirectoryTheContainerCannotWriteIsOneLineAndExit11() throws Exception {
        Path readOnly = Files.createDirectories(dir.resolve("root-only-logs")); // 755, this test's user's: not uid 1000's
        String name = engine.prefix + "-unwritable";
        Proc.Result r = engine.cli(RUN, "run", "--name", name, "-v", readOnly + ":/opt/flink/log", engine.image);
        engine.cli(RUN, "rm", name);
        assertThat(r.exit()).as(tail(r)).isEqualTo(11);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).singleElement().satisfies(l -> assertThat(l).contains("cannot write /opt/flink/log").contains("chmod"));
        try (Stream<Path> files = Files.list(readOnly)) {
            assertThat(files).isEmpty();
        }
    }

    private Map<String, String> composeEnv() {
        Map<String, String> env = new HashMap<>();
        env.put("STATELAB_PORT", Integer.toString(port));
        return env;
    }

    private void composeUp(int taskManagers) throws Exception {
        if (port == 0) {
            port = TestCluster.freePort();
            restUrl = "http://127.0.0.1:" + port;
            writable(dir.resolve("logs"));
            writable(dir.resolve("savepoints"));
            writable(dir.resolve("output"));
        }
        Proc.Result up = engine.compose(dir, composeEnv(), RUN, "up", "-d", "--scale", "taskmanager=" + taskManagers);
        assertThat(up.exit()).as(tail(up)).isZero();
        RestProbe.await(taskManagers + " TaskManager(s) registered at " + restUrl, Duration.ofSeconds(90), () -> {
            try {
                JsonNode o = RestProbe.get(restUrl, "/overview");
                return o.get("taskmanagers").asInt() == taskManagers && o.get("slots-total").asInt() == 2 * taskManagers;
            } catch (AssertionError notYet) {
                return false;
            }
        });
    }

    private Map<String, String> hostEnv() {
        return Checkout.env(Map.of("STATELAB_REST_URL", restUrl));
    }

    @Test
    @Order(3)
    void composeUpThenTheHostsPipeExperimentAndReplWorkOnSavepointsAtTheSamePathOnBothSides() throws Exception {
        composeUp(1);
        Proc.Result tampered = Proc.bash("./jbang submit word-count -- --keep-running | ./jbang savepoint | ./jbang swap-sst | ./jbang resume",
                Checkout.ROOT, hostEnv(), RUN);
        assertThat(tampered.exit()).as(tail(tampered)).isEqualTo(10);
        assertThat(tampered.out()).startsWith("RESTORE_FAILED ").contains("RocksDBException");

        Proc.Result untouched = Proc.bash("./jbang submit word-count -- --keep-running | ./jbang savepoint | ./jbang resume --json",
                Checkout.ROOT, hostEnv(), RUN);
        assertThat(untouched.exit()).as(tail(untouched)).isZero();
        JsonNode verdict = new com.fasterxml.jackson.databind.ObjectMapper().readTree(untouched.out());
        assertThat(verdict.path("verdict").asText()).isEqualTo("RESTORED");
        RestProbe.cancelAll(restUrl);

        Proc.Result experiment = Checkout.jbang(hostEnv(), "experiment");
        assertThat(experiment.exit()).as(tail(experiment)).isEqualTo(10);
        assertThat(experiment.out()).startsWith("RESTORE_FAILED ");

        // the REPL, reading its lines from stdin as a script: each command takes what the one before it printed
        Proc.Result repl = Checkout.jbangWithStdin(hostEnv(), "submit word-count -- --keep-running\nsavepoint\nresume\n", "statelab");
        assertThat(repl.exit()).as(tail(repl)).isZero();
        assertThat(repl.out().lines().reduce((a, b) -> b).orElse("")).startsWith("RESTORED ");

        // the JobManager wrote them under the host's path, and the host read (and swap-sst rewrote) them there
        try (Stream<Path> savepoints = Files.list(dir.resolve("savepoints"))) {
            assertThat(savepoints.filter(p -> p.getFileName().toString().startsWith("savepoint-"))).hasSizeGreaterThanOrEqualTo(4);
        }
        RestProbe.cancelAll(restUrl);
    }

    @Test
    @Order(4)
    void thePipeRunsWithEveryStageInAContainer() throws Exception {
        composeUp(1);
        String sp = dir.resolve("savepoints").toString();
        StringBuilder pipe = new StringBuilder();
        String[] stages = {"submit word-count -- --keep-running", "savepoint", "swap-sst", "resume"};
        for (int i = 0; i < stages.length; i++) {
            // named, not --rm, for the exit code (see the one-liner); removed below and by name after the run
            pipe.append(i == 0 ? "" : " | ").append(engine.cli).append(" run -i --name ").append(engine.prefix).append("-stage-").append(i)
                    .append(" --network host -e STATELAB_REST_URL=").append(restUrl).append(" -v ").append(sp).append(':').append(sp)
                    // what submit records of the job, for savepoint and resume: a volume all stages share
                    .append(" -v ").append(engine.prefix).append("-jobs:/home/statelab/.statelab/jobs")
                    .append(' ').append(engine.image).append(' ').append(stages[i]);
        }
        Proc.Result r = Proc.bash(pipe.toString(), dir, engine.env(Map.of()), RUN);
        for (int i = 0; i < stages.length; i++) {
            engine.cli(RUN, "rm", engine.prefix + "-stage-" + i);
        }
        assertThat(r.exit()).as(tail(r)).isEqualTo(10);
        assertThat(r.out()).startsWith("RESTORE_FAILED ").contains("RocksDBException");
        RestProbe.cancelAll(restUrl);
    }

    @Test
    @Order(5)
    void aKilledTaskManagerContainerComesBackAndTheJobResumesFromItsLastCheckpoint() throws Exception {
        composeUp(1);
        // throttled so that it runs well past the kill and checkpoints every second (word-count's default)
        Proc.Result submit = Checkout.jbang(hostEnv(), "submit", "word-count", "--", "--words", "200000", "--rate", "2000", "--keep-running");
        assertThat(submit.exit()).as(submit.toString()).isZero();
        String job = submit.out().strip();
        RestProbe.await("a completed checkpoint", Duration.ofSeconds(60),
                () -> RestProbe.get(restUrl, "/jobs/" + job + "/checkpoints").path("counts").path("completed").asInt() >= 1);

        // the container's id as compose knows it (Compose v1 names it PROJECT_taskmanager_1, v2 PROJECT-taskmanager-1)
        Proc.Result ps = engine.compose(dir, composeEnv(), RUN, "ps", "-q", "taskmanager");
        assertThat(ps.exit()).as(ps.toString()).isZero();
        String taskManager = ps.out().strip();
        assertThat(taskManager).as("compose ps -q taskmanager").isNotEmpty().doesNotContain("\n");
        assertThat(engine.cli(RUN, "kill", taskManager).exit()).isZero();
        assertThat(engine.cli(RUN, "start", taskManager).exit()).isZero();

        JsonNode restored = RestProbe.awaitValue("the job RUNNING again, restored from a checkpoint", Duration.ofMinutes(3),
                () -> RestProbe.get(restUrl, "/jobs/" + job + "/checkpoints").path("latest").path("restored"),
                r -> r.has("id") && allRunning(job));
        assertThat(restored.get("id").asLong()).isGreaterThanOrEqualTo(1);
        assertThat(RestProbe.get(restUrl, "/jobs/" + job).path("state").asText()).isEqualTo("RUNNING");
        RestProbe.cancelAll(restUrl);
    }

    private boolean allRunning(String job) {
        JsonNode vertices = RestProbe.get(restUrl, "/jobs/" + job).path("vertices");
        for (JsonNode v : vertices) {
            if (!v.path("status").asText().equals("RUNNING")) {
                return false;
            }
        }
        return vertices.size() > 0;
    }

    @Test
    @Order(6)
    void theTaskManagerServiceScalesToTwo() throws Exception {
        composeUp(2);
        JsonNode tms = RestProbe.get(restUrl, "/taskmanagers").path("taskmanagers");
        assertThat(tms).hasSize(2);
        // each replica advertises its own address (config.yaml's 127.0.0.1 is removed in containers)
        assertThat(tms.get(0).path("id").asText()).isNotEqualTo(tms.get(1).path("id").asText());
        try (Stream<Path> logs = Files.list(dir.resolve("logs"))) {
            assertThat(logs.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("taskmanager-") && n.endsWith(".log")))
                    .as("one log per TaskManager container").hasSizeGreaterThanOrEqualTo(2);
        }
    }

    private static String tail(Proc.Result r) {
        String s = r.toString();
        return s.length() <= 6000 ? s : "…" + s.substring(s.length() - 6000);
    }
}
