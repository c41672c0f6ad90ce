package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import statelab.cli.ExitCode;
import statelab.testing.Checkout;
import statelab.testing.Proc;
import statelab.testing.TestCluster;

/**
 * A REST API behind TLS (issue 11), for real: a local cluster of its own whose REST endpoint speaks https and asks
 * for a client certificate (Flink's {@code security.ssl.rest.*}, mutual TLS), with key and trust stores made by the
 * JDK's keytool; StateLab's commands against it with Flink's REST client options from {@code $FLINK_CONF_DIR}, and
 * every way the handshake can go wrong ending in one line.
 */
@Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
class RestTlsIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Path WORK = Checkout.TARGET.resolve("it-tls");
    static final Path CLUSTER = WORK.resolve("cluster");
    static final String PASSWORD = "statelab-test";
    static String rest;

    @BeforeAll
    static void startATlsCluster() throws Exception {
        Checkout.jbang(Map.of(), "cluster", "stop", "--dir", CLUSTER.toString()); // a previous run killed before its cleanup
        JobsIT.deleteTree(WORK);
        Files.createDirectories(WORK);
        keyPair("rest");
        keyPair("stranger");
        String server = tls("rest", "rest", true);
        Path serverConf = Files.createDirectories(WORK.resolve("server"));
        Files.writeString(serverConf.resolve("config.yaml"), Files.readString(Checkout.ROOT.resolve("config.yaml")) + server);
        // the client: the same certificate to show, the same one to trust (as Flink's docs set up internal TLS)
        conf("client", tls("rest", "rest", false));
        conf("no-tls", "");
        conf("trusts-a-stranger", tls(null, "stranger", false));
        conf("no-client-certificate", tls(null, "rest", false));
        int port = TestCluster.freePort();
        Proc.Result r = Checkout.jbang(Map.of(), "cluster", "start", "--port", Integer.toString(port), "--dir", CLUSTER.toString(),
                "--config", serverConf.resolve("config.yaml").toString(), "--json");
        assertThat(r.exit()).as("cluster start with TLS on its REST API: %s", r).isZero();
        rest = JSON.readTree(r.out()).get("restUrl").asText();
        assertThat(rest).isEqualTo("https://127.0.0.1:" + port);
    }

    /** The resumed job of the pipe still runs when the tests end: stopping the cluster ends it. */
    @AfterAll
    static void stopTheCluster() {
        Checkout.jbang(Map.of(), "cluster", "stop", "--dir", CLUSTER.toString());
    }

    /** A key pair {@code name}.keystore with a certificate for 127.0.0.1, and {@code name}.truststore holding that certificate. */
    static void keyPair(String name) throws Exception {
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Path keystore = WORK.resolve(name + ".keystore");
        Path cert = WORK.resolve(name + ".cer");
        for (List<String> cmd : List.of(
                List.of(keytool, "-genkeypair", "-alias", name, "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=127.0.0.1",
                        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12",
                        "-keystore", keystore.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD),
                List.of(keytool, "-exportcert", "-alias", name, "-keystore", keystore.toString(), "-storepass", PASSWORD,
                        "-file", cert.toString()),
                List.of(keytool, "-importcert", "-noprompt", "-alias", name, "-file", cert.toString(), "-storetype", "PKCS12",
                        "-keystore", WORK.resolve(name + ".truststore").toString(), "-storepass", PASSWORD))) {
            Proc.Result r = Proc.run(cmd, WORK, Map.of(), null, Duration.ofMinutes(1));
            assertThat(r.exit()).as("%s", r).isZero();
        }
    }

    /** Flink's REST TLS settings: {@code keystore} to show (null: none), {@code truststore} to trust; for the server, mutual. */
    static String tls(String keystore, String truststore, boolean server) {
        StringBuilder y = new StringBuilder("\nsecurity.ssl.rest.enabled: true\n");
        if (keystore != null) {
            y.append("security.ssl.rest.keystore: ").append(WORK.resolve(keystore + ".keystore")).append('\n')
                    .append("security.ssl.rest.keystore-password: ").append(PASSWORD).append('\n')
                    .append("security.ssl.rest.key-password: ").append(PASSWORD).append('\n');
        }
        y.append("security.ssl.rest.truststore: ").append(WORK.resolve(truststore + ".truststore")).append('\n')
                .append("security.ssl.rest.truststore-password: ").append(PASSWORD).append('\n');
        if (server || keystore != null) {
            // mutual TLS: the server asks for a certificate; Flink's client shows its key store only with this set too
            y.append("security.ssl.rest.authentication-enabled: true\n");
        }
        return y.toString();
    }

    static void conf(String name, String tls) throws IOException {
        Path dir = Files.createDirectories(WORK.resolve(name));
        Files.writeString(dir.resolve("config.yaml"), Files.readString(Checkout.ROOT.resolve("config.yaml")) + tls);
    }

    /** Commands against the cluster with {@code conf}'s config.yaml as Flink's CLI would read it. */
    static Map<String, String> env(String conf) {
        Map<String, String> env = new HashMap<>();
        env.put("FLINK_CONF_DIR", WORK.resolve(conf).toString());
        env.put("STATELAB_REST_URL", rest);
        return Checkout.env(env);
    }

    @Test
    void thePipeRunsOverMutualTlsWithFlinksOwnClientOptions() {
        Proc.Result r = Proc.bash("./jbang submit word-count -- --keep-running | ./jbang savepoint | ./jbang resume",
                Checkout.ROOT, env("client"), Duration.ofMinutes(5));
        assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.OK.code);
        assertThat(r.out()).startsWith("RESTORED ");
        assertThat(r.ownErrLines()).isEmpty();
        String job = r.out().strip().split("\\s+")[1].replace(":", "");
        Proc.Result status = Checkout.jbang(env("client"), "cluster", "status", "--dir", CLUSTER.toString());
        assertThat(status.exit()).as("%s", status).isZero();
        assertThat(status.out()).contains("running  " + rest).contains(job);
    }

    @Test
    void experimentReadsTheRestoredJobsOutputOverTlsToo() throws IOException {
        // --no-verify: word-count replays its words and its print sink's lines, read from the TaskManagers' stdout
        // (the JDK's HTTP client with Flink's TLS options), are the proof
        Proc.Result r = Checkout.jbang(env("client"), "experiment", "--no-verify", "--mode", "same-size", "--value", "00000063", "--json");
        assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.OK.code);
        com.fasterxml.jackson.databind.JsonNode run = JSON.readTree(r.out());
        assertThat(run.get("verdict").asText()).isEqualTo("RESTORED");
        List<String> printed = new java.util.ArrayList<>();
        run.get("restoredOutput").forEach(l -> printed.add(l.asText()));
        com.fasterxml.jackson.databind.JsonNode changed = run.at("/swapSst/changed");
        assertThat(changed).hasSize(5);
        for (com.fasterxml.jackson.databind.JsonNode c : changed) {
            String word = c.get("key").asText().replaceFirst(" \\(key group .*$", "");
            assertThat(printed).as("the restored job printed %s counted on from 99", word).anySatisfy(l -> assertThat(l).endsWith("(" + word + ",100)"));
        }
    }

    @Test
    void everyWayTheHandshakeFailsIsOneLine() {
        // https with nothing configured to trust
        Proc.Result none = Checkout.jbang(env("no-tls"), "submit", "word-count");
        assertThat(none.exit()).as("%s", none).isEqualTo(ExitCode.USAGE.code);
        assertThat(none.ownErrLines()).singleElement().asString().contains("security.ssl.rest.truststore");

        // a trust store without the server's certificate
        Proc.Result stranger = Checkout.jbang(env("trusts-a-stranger"), "submit", "word-count");
        assertThat(stranger.exit()).as("%s", stranger).isEqualTo(ExitCode.UNREACHABLE.code);
        assertThat(stranger.ownErrLines()).singleElement().asString().startsWith("error: TLS with Flink's REST API at " + rest + " failed: ");

        // mutual TLS, and no client certificate to show
        Proc.Result anonymous = Checkout.jbang(env("no-client-certificate"), "submit", "word-count");
        assertThat(anonymous.exit()).as("%s", anonymous).isEqualTo(ExitCode.UNREACHABLE.code);
        assertThat(anonymous.ownErrLines()).as("%s", anonymous).singleElement().asString().startsWith("error: ");

        // plain http to the TLS endpoint
        Proc.Result plain = Checkout.jbang(env("client"), "submit", "--rest-url", rest.replace("https", "http"), "word-count");
        assertThat(plain.exit()).as("%s", plain).isEqualTo(ExitCode.UNREACHABLE.code);
        assertThat(plain.ownErrLines()).as("%s", plain).singleElement().asString().startsWith("error: ");
    }
}
