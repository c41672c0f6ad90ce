//DEPS info.picocli:picocli:4.7.7
//JAVAC_OPTIONS -XDstringConcat=inline
//JAVA_OPTIONS -Xlog:disable -Xlog:all=warning,cds*=off,pagesize=off:stderr -XX:+UseSerialGC -XX:+IgnoreUnrecognizedVMOptions -XX:+UseTransparentHugePages -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0
package statelab.cli;

import java.io.InputStream;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * Runs a command the same way everywhere: from {@code main}, from a test, from another command. It registers
 * the shared converters, lists the exit-code table in every {@code --help}, turns a {@link Failure} into
 * {@code error: <message>} and its exit code, and prints a stack trace only with {@code --verbose}.
 * {@link #main} is the only place in the toolkit that calls {@code System.exit}.
 *
 * <p>Every command's JVM (the //JAVA_OPTIONS above travel with this file) sends the JVM's own warnings, such as
 * class-data-sharing notes (those silenced: the archive is only a start-up cache), to stderr instead of stdout,
 * which is data; and uses the serial collector, which suits short runs with small heaps. Its heap asks Linux for
 * transparent huge pages where the kernel gives them on request ({@code madvise} or {@code always}): a fresh page
 * is expensive to touch the first time on virtual machines like the one bench/sst-engine ran on, and a command
 * that reads an 8 MiB index block touches a few thousand of them (swap-sst {@code --in-place} on 1 GiB: 21,500
 * page faults and 0.78 s, 11,000 and 0.67 s with them). Where there are none the option does nothing, its note
 * silenced ({@code pagesize=off}); a JVM that does not know the option (it is Linux's) ignores it. The class-data
 * archive is mapped at the address it was written for ({@code ArchiveRelocationMode=0}): Debian's JDK 17.0.15 maps
 * it at a random one by default and then rewrites every pointer in it, 60-110 ms of {@code -Xlog:startuptime}'s
 * "Genesis" and about 50 ms of every start here. Where that address is taken, the JVM relocates as before.
 */
public final class CommandRunner {
    private CommandRunner() {}

    /** Runs {@code command} with {@code args} and exits the JVM with its exit code. */
    public static void main(Object command, String[] args) {
        int code = execute(command, args);
        ClassDataArchive.loadCommonClassesIfArchiving(command);
        System.exit(code);
    }

    /** Runs {@code command} with {@code args} on the process's own stdout/stderr. */
    public static int execute(Object command, String... args) {
        CommandLine cl = commandLine(command);
        Output.processStdout(cl.getOut()); // picocli's writer over System.out, shared by every subcommand
        return cl.execute(args);
    }

    /** Runs {@code command} with its output going to the given writers (tests, one command calling another). */
    public static int execute(Object command, PrintWriter out, PrintWriter err, String... args) {
        return execute(command, InputStream.nullInputStream(), out, err, args);
    }

    /** As {@link #execute(Object, PrintWriter, PrintWriter, String...)}, with {@code in} as the command's stdin. */
    public static int execute(Object command, InputStream in, PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = commandLine(command);
        cl.setOut(out);
        cl.setErr(err);
        InputStream previous = PipeInput.STDIN.get();
        PipeInput.STDIN.set(in);
        try {
            return cl.execute(args);
        } finally {
            PipeInput.STDIN.set(previous);
            out.flush();
            err.flush();
        }
    }

    /**
     * Runs {@code command} in a REPL session: chained input comes from {@code session} (field → value, see
     * {@link PipeInput}) instead of stdin, which belongs to the REPL and is never read by a command.
     */
    public static int executeInSession(CommandLine cl, java.util.Map<String, String> session, String... args) {
        InputStream previousIn = PipeInput.STDIN.get();
        java.util.Map<String, String> previousSession = PipeInput.SESSION.get();
        PipeInput.STDIN.set(InputStream.nullInputStream());
        PipeInput.SESSION.set(session);
        try {
            return cl.execute(args);
        } finally {
            PipeInput.STDIN.set(previousIn);
            PipeInput.SESSION.set(previousSession);
            cl.getOut().flush();
            cl.getErr().flush();
        }
    }

    /** A configured {@link CommandLine} for {@code command}; subcommands get the same configuration. */
    public static CommandLine commandLine(Object command) {
        // No Groovy closures in our annotations: without this picocli looks up groovy.lang.Closure for every
        // object it creates, a miss that searches each jar of the classpath (~40 ms on swap-sst's, measured).
        System.setProperty("picocli.disable.closures", "true");
        // No option of ours is a java.sql or java.time type (Duration has its own converter, registered below):
        // picocli looks each of those up by reflection when a CommandLine is made, about 20 ms of every start.
        if (System.getProperty("picocli.converters.excludes") == null) {
            System.setProperty("picocli.converters.excludes", "java\\.(sql|time)\\..*");
        }
        CommandLine cl = new CommandLine(command);
        cl.registerConverter(Duration.class, Durations::parse);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setUsageHelpAutoWidth(true);
        cl.setExecutionExceptionHandler(CommandRunner::onExecutionException);
        cl.setParameterExceptionHandler(CommandRunner::onParameterException);
        cl.setExitCodeExceptionMapper(t -> t instanceof Failure f ? f.exitCode().code : ExitCode.FAILURE.code);
        listExitCodes(cl);
        return cl;
    }

    private static void listExitCodes(CommandLine cl) {
        cl.getCommandSpec().usageMessage().exitCodeListHeading("%nExit codes:%n").exitCodeList(ExitCode.helpList());
        cl.getSubcommands().values().forEach(CommandRunner::listExitCodes);
    }

    private static int onExecutionException(Exception ex, CommandLine cl, ParseResult parseResult) {
        PrintWriter err = cl.getErr();
        Throwable cause = unwrap(ex);
        boolean verbose = isVerbose(parseResult);
        if (cause instanceof Failure failure) {
            err.println("error: " + failure.getMessage());
            if (verbose && failure.getCause() != null) {
                failure.getCause().printStackTrace(err);
            }
            err.flush();
            return failure.exitCode().code;
        }
        err.println("error: " + describe(cause) + (verbose ? "" : " (run with --verbose for details)"));
        if (verbose) {
            cause.printStackTrace(err);
        }
        err.flush();
        return ExitCode.FAILURE.code;
    }

    private static int onParameterException(ParameterException ex, String[] args) {
        CommandLine cl = ex.getCommandLine();
        String message = ex.getMessage() == null ? "bad usage" : ex.getMessage().replace(System.lineSeparator(), " ").trim();
        cl.getErr().printf("error: %s (see '%s --help')%n", message, cl.getCommandSpec().qualifiedName());
        cl.getErr().flush();
        return ExitCode.USAGE.code;
    }

    private static boolean isVerbose(ParseResult parseResult) {
        ParseResult pr = parseResult;
        while (pr != null) {
            if (pr.hasMatchedOption("--verbose")) {
                return true;
            }
            pr = pr.hasSubcommand() ? pr.subcommand() : null;
        }
        return false;
    }

    /** Unwraps the future and reflection wrappers that hide the exception a user wants to read. */
    public static Throwable unwrap(Throwable t) {
        Throwable cur = t;
        while ((cur instanceof CompletionException || cur instanceof ExecutionException
                        || cur instanceof java.lang.reflect.InvocationTargetException)
                && cur.getCause() != null) {
            cur = cur.getCause();
        }
        return cur;
    }

    /** One line describing an unexpected exception: its type and message, and its root cause if different. */
    public static String describe(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String head = t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + firstLine(t.getMessage()));
        if (root == t) {
            return head;
        }
        return head + " (caused by " + root.getClass().getSimpleName()
                + (root.getMessage() == null ? "" : ": " + firstLine(root.getMessage())) + ")";
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
