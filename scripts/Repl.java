///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES StateLab.java
//DESCRIPTION The interactive StateLab REPL: every command in one JVM, with completion, history and session variables.
package statelab;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import statelab.cli.CommandRunner;
import statelab.cli.Output;
import statelab.repl.Shell;

/**
 * {@code repl [-f FILE] [--keep-going]}: StateLab's commands in one JVM, line by line ({@link Shell}). On a
 * terminal: interactive, with completion and history. With {@code -f FILE}, or with stdin not a terminal: the
 * lines run as a script, which stops at the first failing line (its exit code, its line number) unless
 * {@code --keep-going}.
 */
@Command(name = "repl", mixinStandardHelpOptions = true, version = "StateLab repl (Flink 2.3.0)",
        description = {"Run StateLab's commands in one JVM: interactive on a terminal, or a script (-f FILE, or stdin).",
                "The session remembers $job, $savepoint, $verdict and $rest, so submit, savepoint, swap-sst, resume",
                "run in sequence with no arguments. Tab completes commands, options, job ids and savepoints;",
                "Ctrl-C cancels the running command, Ctrl-D exits. History: $STATELAB_HOME/history (~/.statelab/history)."})
public final class Repl implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE", description = "Run this script instead of reading a terminal.")
    Path file;

    @Option(names = "--keep-going", description = "In a script, go on after a failing line (the exit code is the last line's).")
    boolean keepGoing;

    @Override
    public Integer call() throws Exception {
        Shell shell = new Shell(StateLab.commands(), spec.commandLine().getOut(), spec.commandLine().getErr());
        if (file != null) {
            return shell.script(file, keepGoing);
        }
        if (Output.isTerminal(0) && Output.isTerminal(1)) {
            return shell.interactive();
        }
        return shell.script(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), "<stdin>", keepGoing);
    }

    public static void main(String[] args) {
        CommandRunner.main(new Repl(), args);
    }
}
