///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/cli/*.java
//SOURCES lib/flink/*.java
//SOURCES lib/savepoint/*.java
//SOURCES lib/cluster/*.java
//SOURCES lib/repl/*.java
//SOURCES lib/verify/*.java
//SOURCES Cluster.java Submit.java Savepoint.java SwapSst.java Resume.java Experiment.java Inspect.java Diff.java Edit.java SumJobCommand.java Chaos.java Repl.java
//JAVA_OPTIONS -XX:TieredStopAtLevel=1
//DESCRIPTION Every StateLab command in one JVM: statelab <command> ..., or with no command the interactive REPL.
package statelab;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import statelab.cli.CommandRunner;

/**
 * {@code statelab [COMMAND]}: the one registry of StateLab's commands. Each command is its own script and
 * catalog alias ({@code ./jbang savepoint}); here they are the subcommands of one command
 * ({@code ./jbang statelab savepoint} behaves the same), the REPL runs them, the contract tests iterate them,
 * and the README's command table is checked against them. A new command is added here, in its @Command's
 * {@code subcommands}, and as a catalog alias; {@code RegistryTest} fails until both are done.
 * With no command: the REPL (interactive on a terminal, a script from stdin otherwise).
 */
@Command(name = "statelab", mixinStandardHelpOptions = true, version = "StateLab (Flink 2.3.0)",
        description = {"Tamper with Apache Flink state on purpose and find out what Flink does about it.",
                "With no command: the interactive REPL (see 'statelab repl --help')."},
        subcommands = {Cluster.class, Submit.class, Savepoint.class, SwapSst.class, Resume.class, Experiment.class, Inspect.class, Diff.class, Edit.class, SumJobCommand.class, Chaos.class, Repl.class,
                AutoComplete.GenerateCompletion.class})
public final class StateLab implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        return spec.commandLine().getSubcommands().get("repl").execute();
    }

    /**
     * Command name → a new instance of it, in the order of the registry: what the REPL runs and lists. picocli's
     * {@code generate-completion} is left out (a shell's business, not the REPL's), and so is {@code repl} itself.
     */
    public static Map<String, Supplier<Object>> commands() {
        Map<String, Supplier<Object>> commands = new LinkedHashMap<>();
        for (Class<?> c : StateLab.class.getAnnotation(Command.class).subcommands()) {
            String name = c.getAnnotation(Command.class).name();
            if (!name.equals("repl") && !name.equals("generate-completion")) {
                commands.put(name, () -> {
                    try {
                        return CommandLine.defaultFactory().create(c);
                    } catch (Exception e) {
                        throw new IllegalStateException("cannot create command " + name, e);
                    }
                });
            }
        }
        return commands;
    }

    public static void main(String[] args) {
        CommandRunner.main(new StateLab(), args);
    }
}
