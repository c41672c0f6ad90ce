package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;
import statelab.testing.Checkout;
import statelab.testing.InProcess;

/**
 * The registry ({@link StateLab}'s subcommands) is the one list of commands: every catalog alias that is a
 * command is registered, every registered command has its alias and its own script, the README's command table
 * names them all, and {@code statelab X} is {@code X}.
 */
class RegistryTest {
    /** picocli's own generator of shell completion: a subcommand of the umbrella, not a verb of the lab. */
    static final String GENERATOR = "generate-completion";

    /** Registered subcommand name → its script, scripts/<ClassName>.java. */
    static Map<String, String> registered() {
        Map<String, String> names = new TreeMap<>();
        for (Class<?> c : StateLab.class.getAnnotation(Command.class).subcommands()) {
            String name = c.getAnnotation(Command.class).name();
            if (!name.equals(GENERATOR)) {
                names.put(name, "scripts/" + c.getSimpleName() + ".java");
            }
        }
        return names;
    }

    /** Catalog alias → script-ref, for the aliases that are commands (scripts/), the umbrella left out. */
    static Map<String, String> commandAliases() throws Exception {
        JsonNode aliases = new ObjectMapper().readTree(Checkout.ROOT.resolve("jbang-catalog.json").toFile()).get("aliases");
        Map<String, String> commands = new TreeMap<>();
        aliases.properties().forEach(e -> {
            String ref = e.getValue().get("script-ref").asText();
            if (ref.startsWith("scripts/") && !e.getKey().equals("statelab")) {
                commands.put(e.getKey(), ref);
            }
        });
        return commands;
    }

    @Test
    void everyCommandAliasIsRegisteredAndEveryRegisteredCommandHasItsAliasAndScript() throws Exception {
        assertThat(commandAliases()).isEqualTo(registered());
        registered().values().forEach(script -> assertThat(Checkout.ROOT.resolve(script)).isRegularFile());
    }

    @Test
    void theUmbrellaAliasRunsTheRegistry() throws Exception {
        JsonNode statelab = new ObjectMapper().readTree(Checkout.ROOT.resolve("jbang-catalog.json").toFile()).at("/aliases/statelab");
        assertThat(statelab.get("script-ref").asText()).isEqualTo("scripts/StateLab.java");
    }

    @Test
    void theReplRunsEveryRegisteredCommandButItself() {
        Set<String> inRepl = new TreeSet<>(StateLab.commands().keySet());
        Set<String> expected = new TreeSet<>(registered().keySet());
        expected.remove("repl");
        assertThat(inRepl).isEqualTo(expected);
    }

    @Test
    void theReadmeCommandTableNamesEveryRegisteredCommand() throws Exception {
        String readme = Files.readString(Checkout.ROOT.resolve("README.md"));
        Matcher row = Pattern.compile("(?m)^\\| `([a-z-]+)").matcher(readme);
        Set<String> inTable = new LinkedHashSet<>();
        while (row.find()) {
            inTable.add(row.group(1));
        }
        assertThat(inTable).containsAll(registered().keySet());
        assertThat(inTable).as("the README's table names only registered commands (or the umbrella)")
                .allMatch(name -> registered().containsKey(name) || name.equals("statelab"));
    }

    @Test
    void statelabXBehavesAsX() {
        for (var command : StateLab.commands().entrySet()) {
            String name = command.getKey();
            for (String[] args : new String[][] {{"--bogus"}, {"--version"}}) {
                InProcess.Result alone = InProcess.run(command.getValue().get(), args);
                String[] viaUmbrella = new String[args.length + 1];
                viaUmbrella[0] = name;
                System.arraycopy(args, 0, viaUmbrella, 1, args.length);
                InProcess.Result umbrella = InProcess.run(new StateLab(), viaUmbrella);
                assertThat(umbrella.exit()).as("statelab %s %s", name, args[0]).isEqualTo(alone.exit());
                assertThat(umbrella.out()).as("statelab %s %s", name, args[0]).isEqualTo(alone.out());
                assertThat(umbrella.err().replace("'statelab " + name, "'" + name))
                        .as("statelab %s %s: the same error, named by its qualified name", name, args[0]).isEqualTo(alone.err());
            }
        }
    }
}
