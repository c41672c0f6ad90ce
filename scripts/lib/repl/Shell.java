//DEPS org.jline:jline:4.5.0
package statelab.repl;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import statelab.cli.CommandRunner;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Output;
import statelab.cli.Workspace;

/**
 * The REPL: one JVM in which the toolkit's commands run line by line, with what the last ones printed
 * remembered ({@link Session}). Each line is parsed by a fresh instance of the command (the registry hands
 * out suppliers), so no option leaks from one line into the next, and prints through the same writers and
 * exit codes as the command run alone. Builtins: {@code help}, {@code vars}, {@code set}, {@code unset},
 * {@code source}, {@code exit}.
 *
 * <p>Interactive ({@link #interactive}) on a terminal, with JLine: completion ({@link ReplCompleter}),
 * history in {@code $STATELAB_HOME/history}, Ctrl-R search; Ctrl-C cancels the running command (its thread is
 * interrupted, and every wait of the toolkit ends on an interrupt) and returns to the prompt; Ctrl-D exits.
 * From a file or a pipe ({@link #script}), lines run in order and the first failing one ends the script with
 * its exit code and line number, unless {@code keepGoing}.
 */
public final class Shell {
    /** Nested {@code source} deeper than this is a loop, not a script. */
    private static final int MAX_SOURCE_DEPTH = 16;
    static final List<String> BUILTINS = List.of("help", "vars", "set", "unset", "source", "exit");

    private final Map<String, Supplier<Object>> registry;
    private final PrintWriter out;
    private final PrintWriter err;
    private final Session session = new Session();
    private final DefaultParser parser = new DefaultParser();
    private int depth;
    private boolean exitRequested;

    /**
     * @param registry command name → a new instance of that command, in the order {@code help} lists them
     */
    public Shell(Map<String, Supplier<Object>> registry, PrintWriter out, PrintWriter err) {
        this.registry = registry;
        this.out = out;
        this.err = err;
        parser.setEofOnUnclosedQuote(false);
    }

    public Session session() {
        return session;
    }

    /** The spec of every command, for completion and help; built once, never executed. */
    Map<String, CommandSpec> specs() {
        Map<String, CommandSpec> specs = new java.util.LinkedHashMap<>();
        registry.forEach((name, command) -> specs.put(name, CommandRunner.commandLine(command.get()).getCommandSpec()));
        return specs;
    }

    /** Reads lines from the terminal until Ctrl-D or {@code exit}; returns the last command's exit code. */
    public int interactive() throws IOException {
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            Path history = Workspace.home().resolve("history");
            Files.createDirectories(history.getParent());
            LineReader reader = LineReaderBuilder.builder()
                    .terminal(terminal)
                    .appName("statelab")
                    .parser(parser)
                    .completer(new ReplCompleter(specs(), session))
                    .variable(LineReader.HISTORY_FILE, history)
                    .variable(LineReader.HISTORY_FILE_SIZE, 10_000)
                    .option(LineReader.Option.HISTORY_IGNORE_SPACE, true)
                    .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true) // '!' is text here, not history
                    .build();
            Thread commandThread = Thread.currentThread();
            // while a command runs, Ctrl-C interrupts it; while reading, JLine turns it into UserInterruptException
            terminal.handle(Terminal.Signal.INT, signal -> commandThread.interrupt());
            err.println("StateLab REPL: 'help' lists the commands, Tab completes, Ctrl-C cancels a command, Ctrl-D exits.");
            err.flush();
            while (!exitRequested) {
                String line;
                try {
                    line = reader.readLine(prompt());
                } catch (UserInterruptException e) {
                    continue; // Ctrl-C at the prompt: a fresh line, as in a shell
                } catch (EndOfFileException e) {
                    break;
                }
                run(line);
                if (Thread.interrupted()) {
                    err.println("canceled: back at the prompt (what the cluster already did stays done; 'cluster status' shows it)");
                    err.flush();
                }
            }
            reader.getHistory().save();
            return session.lastExit();
        }
    }

    String prompt() {
        String rest = session.get("rest");
        return "statelab " + rest.replaceFirst("^https?://", "") + "> ";
    }

    /** Runs the lines of {@code file}; see {@link #script(BufferedReader, String, boolean)}. */
    public int script(Path file, boolean keepGoing) {
        if (!Files.isRegularFile(file)) {
            throw Failure.of(ExitCode.NOT_FOUND, "no script at %s", file);
        }
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return script(reader, file.toString(), keepGoing);
        } catch (IOException e) {
            throw Failure.of(ExitCode.NOT_FOUND, "cannot read %s: %s", file, e.getMessage());
        }
    }

    /**
     * Runs lines in order (blank lines and {@code #} comments skipped). The first that exits non-zero ends the
     * script with its exit code, after one line on stderr naming it; with {@code keepGoing} the script goes on
     * and ends with the last line's exit code.
     */
    public int script(BufferedReader reader, String name, boolean keepGoing) throws IOException {
        if (depth >= MAX_SOURCE_DEPTH) {
            throw Failure.of(ExitCode.USAGE, "source nested more than %d deep (does %s source itself?)", MAX_SOURCE_DEPTH, name);
        }
        depth++;
        try {
            int number = 0;
            int code = ExitCode.OK.code;
            for (String line; !exitRequested && (line = reader.readLine()) != null; ) {
                number++;
                if (line.isBlank() || line.strip().startsWith("#")) {
                    continue;
                }
                code = run(line);
                if (Thread.currentThread().isInterrupted()) { // Ctrl-C cancels the script, --keep-going or not
                    err.printf("error: %s:%d: canceled; the script stops here%n", name, number);
                    err.flush();
                    return code != ExitCode.OK.code ? code : ExitCode.FAILURE.code;
                }
                if (code != ExitCode.OK.code && !keepGoing) {
                    err.printf("error: %s:%d: '%s' exited %d; the script stops here (--keep-going goes on)%n", name, number,
                            line.strip(), code);
                    err.flush();
                    return code;
                }
            }
            return code;
        } finally {
            depth--;
        }
    }

    /** Runs one line: a builtin or a command. Never throws; returns the exit code, also kept as {@code $?}. */
    public int run(String line) {
        int code;
        try {
            code = dispatch(line);
        } catch (Failure f) {
            err.println("error: " + f.getMessage());
            code = f.exitCode().code;
        } catch (RuntimeException | IOException | LinkageError e) {
            // LinkageError: a class that failed to initialize (e.g. logging, interrupted at its first use) fails
            // this line and the next that need it, not the whole REPL
            err.println("error: " + CommandRunner.describe(e));
            code = ExitCode.FAILURE.code;
        }
        err.flush();
        session.exited(code);
        return code;
    }

    private int dispatch(String raw) throws IOException {
        String line = raw.strip();
        if (line.isEmpty() || line.startsWith("#")) {
            return session.lastExit();
        }
        List<String> words = words(line);
        words.replaceAll(session::expand); // after splitting: a value with spaces (a path) stays one word
        String name = words.get(0);
        List<String> args = words.subList(1, words.size());
        switch (name) {
            case "help":
                return help(args);
            case "vars":
                session.vars().forEach((k, v) -> out.printf("%-10s %s%n", "$" + k, v == null ? "(not set)" : v));
                out.flush();
                return ExitCode.OK.code;
            case "set":
                if (args.size() != 2) {
                    throw Failure.of(ExitCode.USAGE, "usage: set NAME VALUE (variables: %s)", String.join(", ", session.vars().keySet()));
                }
                session.set(args.get(0), args.get(1));
                return ExitCode.OK.code;
            case "unset":
                if (args.size() != 1) {
                    throw Failure.of(ExitCode.USAGE, "usage: unset NAME");
                }
                session.set(args.get(0), null);
                return ExitCode.OK.code;
            case "source":
                return source(args);
            case "exit", "quit":
                exitRequested = true;
                return session.lastExit();
            case "repl", "statelab":
                throw Failure.of(ExitCode.USAGE, "already in the REPL");
            default:
                return command(name, args);
        }
    }

    private int command(String name, List<String> args) {
        Supplier<Object> command = registry.get(name);
        if (command == null) {
            throw Failure.of(ExitCode.USAGE, "unknown command '%s': 'help' lists the commands", name);
        }
        CommandLine cl = CommandRunner.commandLine(command.get());
        cl.setOut(out);
        cl.setErr(err);
        int code = CommandRunner.executeInSession(cl, session.chained(), args.toArray(String[]::new));
        if (code == ExitCode.OK.code || code == ExitCode.RESTORE_FAILED.code || code == ExitCode.TIMEOUT.code) {
            session.remember(result(cl));
        }
        return code;
    }

    /** What the command that ran (the innermost subcommand) printed as its result, if anything. */
    private static Object result(CommandLine cl) {
        CommandLine.ParseResult pr = cl.getParseResult();
        if (pr == null) {
            return null;
        }
        while (pr.hasSubcommand()) {
            pr = pr.subcommand();
        }
        for (CommandSpec mixin : pr.commandSpec().mixins().values()) {
            if (mixin.userObject() instanceof Output output) {
                return output.lastResult();
            }
        }
        return null;
    }

    private int source(List<String> args) throws IOException {
        boolean keepGoing = args.contains("--keep-going");
        List<String> files = args.stream().filter(a -> !a.equals("--keep-going")).toList();
        if (files.size() != 1) {
            throw Failure.of(ExitCode.USAGE, "usage: source [--keep-going] FILE");
        }
        return script(Path.of(files.get(0)), keepGoing);
    }

    private int help(List<String> args) {
        if (!args.isEmpty()) {
            return command(args.get(0), List.of("--help"));
        }
        out.println("Commands (each also runs alone: ./jbang <command>; '<command> --help' for its options):");
        specs().forEach((name, spec) -> out.printf("  %-12s %s%n", name, spec.usageMessage().description().length == 0 ? ""
                : spec.usageMessage().description()[0]));
        out.println("REPL:");
        out.printf("  %-12s %s%n", "vars", "show the session's variables: $rest, $job, $savepoint, $verdict ($? is the last exit code)");
        out.printf("  %-12s %s%n", "set NAME V", "set a variable; 'set rest URL' points every command at another cluster");
        out.printf("  %-12s %s%n", "unset NAME", "forget a variable");
        out.printf("  %-12s %s%n", "source FILE", "run a file's lines here; stops at the first failing line unless --keep-going");
        out.printf("  %-12s %s%n", "exit", "leave (or Ctrl-D)");
        out.println("A command given no job id or savepoint takes the one the session remembers: submit, savepoint, swap-sst, resume.");
        out.flush();
        return ExitCode.OK.code;
    }

    /**
     * The line's words as a shell would split them: quotes group and are removed, backslash escapes. (ACCEPT_LINE:
     * SPLIT_LINE would keep the quotes and backslashes in the words.)
     */
    List<String> words(String line) {
        List<String> words = new ArrayList<>(parser.parse(line, line.length(), org.jline.reader.Parser.ParseContext.ACCEPT_LINE).words());
        if (words.isEmpty()) {
            throw Failure.of(ExitCode.USAGE, "empty line");
        }
        return words;
    }
}
