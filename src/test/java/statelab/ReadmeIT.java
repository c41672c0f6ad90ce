package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import statelab.cli.ExitCode;
import statelab.testing.Checkout;
import statelab.testing.Proc;
import statelab.testing.RestProbe;
import statelab.testing.TestCluster;

/**
 * README.md's two commands are true: .ci/run runs the test command exactly as written, and the first command
 * brings up a JobManager and a TaskManager and runs the word count on them — run here as written, only with this
 * test's own port and directory (tests never take 8081 or the checkout's directories).
 */
class ReadmeIT {
    static final String FIRST = "./jbang cluster start && ./jbang experiment";
    static final String SECOND = "mvn -B verify";

    static List<String> commandsNearTheTop() throws Exception {
        String readme = Files.readString(Checkout.ROOT.resolve("README.md"));
        String block = readme.substring(readme.indexOf("```bash") + "```bash".length());
        block = block.substring(0, block.indexOf("```"));
        return block.lines().map(l -> l.replaceAll("\\s+#.*$", "").strip()).filter(l -> !l.isEmpty()).toList();
    }

    @Test
    void theTwoCommandsAreTheOnesTestedAndRunByCi() throws Exception {
        assertThat(commandsNearTheTop()).containsExactly(FIRST, SECOND);
        assertThat(Files.readAllLines(Checkout.ROOT.resolve(".ci/run"))).contains(SECOND);
    }

    @Test
    void theFirstCommandRunsTheWordCountOnAJobManagerAndATaskManager() throws Exception {
        Path dir = Checkout.TARGET.resolve("readme-cluster");
        int port = TestCluster.freePort();
        String url = "http://127.0.0.1:" + port;
        String command = FIRST.replace("cluster start", "cluster start --port " + port + " --dir " + dir);
        try {
            Proc.Result r = Proc.bash(command, Checkout.ROOT, Checkout.env(Map.of("STATELAB_REST_URL", url)), Duration.ofMinutes(10));
            assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.RESTORE_FAILED.code);
            assertThat(r.out().lines()).first().isEqualTo(url);
            assertThat(r.out().lines().skip(1)).singleElement().asString().startsWith("RESTORE_FAILED ");

            JsonNode overview = RestProbe.get(url, "/overview");
            assertThat(overview.get("taskmanagers").asInt()).isEqualTo(1);
            JsonNode jobs = RestProbe.get(url, "/jobs/overview").get("jobs");
            assertThat(jobs).isNotEmpty().allSatisfy(j -> assertThat(j.get("name").asText()).isEqualTo("StateLab word count"));
        } finally {
            Proc.Result stop = Checkout.jbang(Map.of(), "cluster", "stop", "--dir", dir.toString());
            assertThat(stop.exit()).as("%s", stop).isZero();
        }
    }
}
