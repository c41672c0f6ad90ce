package statelab.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One real local cluster (JobManager and TaskManager processes) for all integration tests of a JVM, started
 * through the {@code cluster} script on a free port in {@code target/it-cluster}, and stopped when the tests
 * end: by {@code cluster stop}, and by pid if that fails, also when the JVM dies early.
 */
public final class TestCluster implements BeforeAllCallback {
    private static Instance instance;

    public record Instance(String restUrl, int port, Path dir, long jobManagerPid, long taskManagerPid) {
        /** The environment for commands against this cluster. */
        public Map<String, String> env() {
            return Checkout.env(Map.of("STATELAB_REST_URL", restUrl));
        }

        public Path taskManagerOut() {
            return dir.resolve("logs/taskmanager.out");
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        get();
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(TestCluster.class, k -> (AutoCloseable) TestCluster::stop);
    }

    public static synchronized Instance get() {
        if (instance == null) {
            instance = start();
        }
        return instance;
    }

    /**
     * A cluster of a test's own: {@code cluster start} on a free port in {@code dir} with 2 slots and the given
     * config.yaml, run with {@code env}; its REST URL. The test stops it ({@code cluster stop --dir}).
     */
    public static String startOwn(Path dir, Path config, Map<String, String> env) {
        Proc.Result r = Checkout.jbang(env, "cluster", "start", "--port", Integer.toString(freePort()), "--dir", dir.toString(),
                "--config", config.toString(), "--slots", "2", "--json");
        assertThat(r.exit()).as("cluster start: %s", r).isZero();
        try {
            return new ObjectMapper().readTree(r.out()).get("restUrl").asText();
        } catch (IOException e) {
            throw new AssertionError("cluster start printed no JSON: " + r, e);
        }
    }

    private static Instance start() {
        Path dir = Checkout.TARGET.resolve("it-cluster");
        Checkout.jbang(Map.of(), "cluster", "stop", "--dir", dir.toString()); // a previous run killed before its cleanup
        int port = freePort();
        Proc.Result r = Checkout.jbang(Map.of(), "cluster", "start", "--port", Integer.toString(port), "--dir", dir.toString(),
                "--slots", "2", "--json");
        assertThat(r.exit()).as("cluster start: %s", r).isZero();
        JsonNode status;
        try {
            status = new ObjectMapper().readTree(r.out());
        } catch (IOException e) {
            throw new AssertionError("cluster start printed no JSON: " + r, e);
        }
        Instance started = new Instance(status.get("restUrl").asText(), port, dir, status.get("jobManagerPid").asLong(),
                status.get("taskManagerPid").asLong());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> kill(started), "stop-test-cluster"));
        return started;
    }

    private static synchronized void stop() {
        if (instance != null) {
            Checkout.jbang(Map.of(), "cluster", "stop", "--dir", instance.dir().toString());
            kill(instance);
            instance = null;
        }
    }

    private static void kill(Instance i) {
        for (long pid : new long[] {i.taskManagerPid(), i.jobManagerPid()}) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
