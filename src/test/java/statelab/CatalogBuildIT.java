package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import statelab.testing.Checkout;
import statelab.testing.Proc;

/**
 * Every alias of jbang-catalog.json builds as the single file it is, with jbang, through the checkout's ./jbang
 * launcher (so its //DEPS and //SOURCES are complete), and answers --help that way.
 */
class CatalogBuildIT {
    static Stream<String> aliases() throws Exception {
        JsonNode catalog = new ObjectMapper().readTree(Checkout.ROOT.resolve("jbang-catalog.json").toFile());
        List<String> names = new ArrayList<>();
        catalog.get("aliases").fieldNames().forEachRemaining(names::add);
        assertThat(names).contains("cluster", "submit", "savepoint", "swap-sst", "resume", "word-count", "sum-job");
        return names.stream();
    }

    @ParameterizedTest(name = "jbang build {0}")
    @MethodSource("aliases")
    void builds(String alias) {
        Proc.Result r = Checkout.jbang(Map.of(), "build", alias);
        assertThat(r.exit()).as("%s", r).isZero();
    }

    /** The benchmark harnesses that take product code with //SOURCES: a change of that code must not break them unseen. */
    static Stream<String> benchScriptsOnProductCode() throws Exception {
        List<String> scripts = new ArrayList<>();
        try (Stream<java.nio.file.Path> files = java.nio.file.Files.walk(Checkout.ROOT.resolve("bench"))) {
            for (java.nio.file.Path f : files.filter(p -> p.toString().endsWith(".java") && !p.startsWith(Checkout.ROOT.resolve("bench/work")))
                    .toList()) {
                if (java.nio.file.Files.readAllLines(f).stream().anyMatch(l -> l.startsWith("//SOURCES ../../scripts/"))) {
                    scripts.add(Checkout.ROOT.relativize(f).toString());
                }
            }
        }
        assertThat(scripts).contains("bench/blockcopy/BlockCopy.java");
        return scripts.stream().sorted();
    }

    @ParameterizedTest(name = "jbang build {0}")
    @MethodSource("benchScriptsOnProductCode")
    void benchHarnessesOnProductCodeBuild(String script) {
        Proc.Result r = Checkout.jbang(Map.of(), "build", script);
        assertThat(r.exit()).as("%s", r).isZero();
    }

    @ParameterizedTest(name = "jbang {0} --help")
    @MethodSource("aliases")
    void commandsAnswerHelp(String alias) throws Exception {
        JsonNode entry = new ObjectMapper().readTree(Checkout.ROOT.resolve("jbang-catalog.json").toFile()).at("/aliases/" + alias);
        Proc.Result r = Checkout.jbang(Map.of(), alias, "--help");
        assertThat(r.exit()).as("%s", r).isZero();
        if (entry.get("script-ref").asText().startsWith("jobs/")) {
            assertThat(r.out()).startsWith("StateLab ").contains("--checkpoint-interval");
        } else {
            assertThat(r.out()).startsWith("Usage: " + alias).contains("Exit codes:");
        }
    }
}
