package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import statelab.testing.Checkout;
import statelab.testing.ContainerEngine;

/**
 * What can be checked of the Dockerfile and docker-compose.yml without a container engine, in seconds; ContainerIT
 * builds and runs them for real. These catch drift between the files: a base image the setup does not make, an
 * entrypoint that is gone, a REST port open beyond this host, savepoints at different paths inside and out.
 */
class DockerFilesTest {
    private static final Path DOCKERFILE = Checkout.ROOT.resolve("Dockerfile");
    private static final Path COMPOSE = Checkout.ROOT.resolve("docker-compose.yml");

    private static List<String> instructions(String keyword) throws IOException {
        return Files.readAllLines(DOCKERFILE).stream().filter(l -> l.startsWith(keyword + " ")).map(l -> l.substring(keyword.length() + 1).strip()).toList();
    }

    @Test
    void theImageIsBuiltOnTheBaseImageTheSetupMakesAndRunsAsAUserNotRoot() throws IOException {
        assertThat(instructions("FROM")).containsExactly(ContainerEngine.BASE_IMAGE);
        assertThat(Files.readString(Checkout.ROOT.resolve(".ci/containers-setup"))).contains("podman import").contains(ContainerEngine.BASE_IMAGE);
        assertThat(instructions("USER")).singleElement().isNotIn("root", "0");
    }

    @Test
    void theEntrypointIsTheCheckoutsScriptAndRunsTheProjectsClusterCode() throws IOException {
        assertThat(instructions("ENTRYPOINT")).containsExactly("[\"/opt/statelab/scripts/entrypoint.sh\"]");
        Path entrypoint = Checkout.ROOT.resolve("scripts/entrypoint.sh");
        assertThat(Files.isExecutable(entrypoint)).as("%s executable", entrypoint).isTrue();
        assertThat(Files.readString(entrypoint)).contains("./jbang cluster run").contains("./jbang cluster start").doesNotContain("java ");
    }

    @Test
    void theBuildContextLeavesOutHistoryBuildOutputAndDownloads() throws IOException {
        assertThat(Files.readAllLines(Checkout.ROOT.resolve(".dockerignore"))).contains(".git", "target/", "bootstrap/lib/", "bench/work/");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> service(String name) throws IOException {
        try (Reader r = Files.newBufferedReader(COMPOSE)) {
            Map<String, Object> compose = new Yaml(new SafeConstructor(new LoaderOptions())).load(r);
            return (Map<String, Object>) ((Map<String, Object>) compose.get("services")).get(name);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void composePublishesRestOnLoopbackOnlyAndMountsSavepointsAtTheSamePathInsideAndOut() throws IOException {
        assertThat((List<String>) service("jobmanager").get("ports")).singleElement()
                .satisfies(p -> assertThat(p).startsWith("127.0.0.1:").endsWith(":8081"));
        assertThat(service("taskmanager")).doesNotContainKey("ports");
        for (String name : List.of("jobmanager", "taskmanager")) {
            Map<String, Object> s = service(name);
            assertThat((List<String>) s.get("volumes")).contains("${PWD}/savepoints:${PWD}/savepoints", "${PWD}/logs:/opt/flink/log");
            List<String> command = (List<String>) s.get("command");
            assertThat(command.get(0)).isEqualTo(name);
            assertThat(command.get(command.indexOf("--savepoints") + 1)).isEqualTo("${PWD}/savepoints");
            assertThat(command.get(command.indexOf("--jobmanager") + 1)).isEqualTo("jobmanager");
        }
    }
}
