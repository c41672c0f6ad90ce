package statelab.repl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringReader;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jline.reader.Candidate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Model.CommandSpec;
import statelab.StateLab;
import statelab.cli.ExitCode;
import statelab.flink.RestOption;

/**
 * The REPL's shell without a terminal and without a cluster: lines in, exit codes and one error line out;
 * session variables; scripts; and completion from the commands' model.
 */
class ReplShellTest {
    /** A port where nothing listens: every REST call is refused at once. */
    static final String CLOSED = "http://127.0.0.1:1";
    static final String NO_JOB = "00000000000000000000000000000000";

    final StringWriter out = new StringWriter();
    final StringWriter err = new StringWriter();
    Shell shell;
    String restProperty;

    @TempDir Path tmp;

    @BeforeEach
    void newShell() {
        // 'set rest' sets a JVM-wide property (every command's default --rest-url): put it back after each test
        restProperty = System.getProperty(RestOption.PROPERTY);
        shell = new Shell(StateLab.commands(), new PrintWriter(out), new PrintWriter(err));
        assertThat(line("set rest " + CLOSED)).isZero();
    }

    @AfterEach
    void restoreRestProperty() {
        if (restProperty == null) {
            System.clearProperty(RestOption.PROPERTY);
        } else {
            System.setProperty(RestOption.PROPERTY, restProperty);
        }
    }

    /** Runs one line with fresh buffers. */
    int line(String line) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return shell.run(line);
    }

    List<String> errLines() {
        return err.toString().lines().filter(l -> !l.isBlank()).toList();
    }

    String vars() {
        assertThat(line("vars")).as("vars: %s", err).isZero();
        assertThat(err.toString()).isEmpty();
        return out.toString();
    }

    String var(String name) {
        return vars().lines().filter(l -> l.startsWith("$" + name + " ")).map(l -> l.substring(l.indexOf(' ')).strip()).findFirst()
                .orElseThrow(() -> new AssertionError("no $" + name + " in vars: " + out));
    }

    // --- bad lines

    record Bad(String line, ExitCode code, String says) {}

    List<Bad> badLines() {
        return List.of(
                new Bad("frobnicate", ExitCode.USAGE, "unknown command 'frobnicate'"),
                new Bad("savepoint --bogus " + NO_JOB, ExitCode.USAGE, "--bogus"),
                new Bad("savepoint not-a-job", ExitCode.USAGE, "not a Flink job id"),
                new Bad("savepoint " + NO_JOB, ExitCode.UNREACHABLE, "cannot reach Flink's REST API"),
                new Bad("savepoint $nope", ExitCode.USAGE, "unknown variable $nope"),
                new Bad("swap-sst $savepoint", ExitCode.USAGE, "$savepoint is not set"),
                new Bad("swap-sst " + tmp.resolve("no-such-savepoint"), ExitCode.NOT_FOUND, "no-such-savepoint"),
                new Bad("savepoint --stop 11111111111111111111111111111111", ExitCode.UNREACHABLE, "cannot reach Flink's REST API"),
                new Bad("resume " + tmp.resolve("no-such-savepoint"), ExitCode.NOT_FOUND, "no-such-savepoint"),
                new Bad("source " + tmp.resolve("no-such-script"), ExitCode.NOT_FOUND, "no-such-script"),
                new Bad("savepoint --format WRONG " + NO_JOB, ExitCode.USAGE, "WRONG"),
                new Bad("savepoint --json 22222222222222222222222222222222", ExitCode.UNREACHABLE, "cannot reach Flink's REST API"),
                new Bad("savepoint --timeout soon " + NO_JOB, ExitCode.USAGE, "soon"),
                new Bad("submit no-such-job", ExitCode.NOT_FOUND, "unknown job 'no-such-job'"),
                new Bad("cluster no-such-subcommand", ExitCode.USAGE, "no-such-subcommand"),
                new Bad("set", ExitCode.USAGE, "usage: set NAME VALUE"),
                new Bad("set nope value", ExitCode.USAGE, "unknown variable 'nope'"),
                new Bad("savepoint " + NO_JOB + " --rest-url " + CLOSED, ExitCode.UNREACHABLE, "cannot reach Flink's REST API"),
                new Bad("unset", ExitCode.USAGE, "usage: unset NAME"),
                new Bad("unset rest", ExitCode.USAGE, "$rest cannot be unset"),
                new Bad("set rest ftp://x", ExitCode.USAGE, "bad REST URL"),
                new Bad("help no-such-command", ExitCode.USAGE, "unknown command 'no-such-command'"),
                new Bad("repl", ExitCode.USAGE, "already in the REPL"),
                new Bad("swap-sst", ExitCode.USAGE, "no savepoint path given"),
                new Bad("resume", ExitCode.USAGE, "no savepoint path given"),
                new Bad("savepoint", ExitCode.USAGE, "no job id given"),
                new Bad("experiment --bogus", ExitCode.USAGE, "--bogus"),
                new Bad("savepoint --rest-url ftp://x " + NO_JOB, ExitCode.USAGE, "bad REST URL"),
                new Bad("savepoint ${savepoint}", ExitCode.USAGE, "$savepoint is not set"),
                new Bad("resume --rest-url " + CLOSED + " " + tmp.resolve("no-such-savepoint"), ExitCode.NOT_FOUND, "no-such-savepoint"));
    }

    /** Runs {@code n} bad lines, cycling through {@link #badLines}, checking each one's contract. */
    void runBadLines(int n) {
        List<Bad> bad = badLines();
        for (int i = 0; i < n; i++) {
            Bad b = bad.get(i % bad.size());
            int code = line(b.line());
            assertThat(code).as("exit code of '%s'; stderr: %s", b.line(), err).isEqualTo(b.code().code);
            assertThat(errLines()).as("stderr of '%s'", b.line()).singleElement().asString().startsWith("error: ").contains(b.says());
            assertThat(out.toString()).as("stdout of '%s'", b.line()).isEmpty();
            assertThat(shell.session().lastExit()).as("$? after '%s'", b.line()).isEqualTo(code);
        }
    }

    @Test
    @Timeout(180)
    void hundredsOfBadLinesEachGetOneErrorAndLeakNothing() throws Exception {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        runBadLines(100); // first batch: loads the classes, and whatever pools the JVM keeps for good
        assertThat(vars()).contains("$rest      " + CLOSED);
        int threadsBefore = settledThreadCount(threads, Integer.MAX_VALUE);
        long heapBefore = usedHeapAfterGc();

        runBadLines(100);
        assertThat(vars()).as("vars after 200 bad lines").contains("$rest      " + CLOSED).contains("$job       (not set)");
        // a REST client's threads end shortly after it is closed: allow them a few seconds, not forever
        int threadsAfter = settledThreadCount(threads, threadsBefore + 3);
        long heapAfter = usedHeapAfterGc();

        assertThat(threadsAfter - threadsBefore)
                .as("threads after 100 more bad lines (%d of them REST calls): %d before, %d after: %s", restLines(100), threadsBefore,
                        threadsAfter, threadNames())
                .isLessThanOrEqualTo(3);
        assertThat(heapAfter - heapBefore).as("heap used after GC: %d MB before, %d MB after", heapBefore >> 20, heapAfter >> 20)
                .isLessThan(32L << 20);
    }

    long restLines(int n) {
        List<Bad> bad = badLines();
        long count = 0;
        for (int i = 0; i < n; i++) {
            if (bad.get(i % bad.size()).code() == ExitCode.UNREACHABLE) {
                count++;
            }
        }
        return count;
    }

    /** The thread count once it is at most {@code target}, or after 10 s of waiting for it to get there. */
    static int settledThreadCount(ThreadMXBean threads, int target) throws InterruptedException {
        Instant deadline = Instant.now().plusSeconds(10);
        int count = threads.getThreadCount();
        while (count > target && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
            count = threads.getThreadCount();
        }
        if (target == Integer.MAX_VALUE) {
            Thread.sleep(2000); // the first batch's clients wind down
            count = threads.getThreadCount();
        }
        return count;
    }

    static String threadNames() {
        return Thread.getAllStackTraces().keySet().stream().map(Thread::getName).sorted().collect(Collectors.joining(", "));
    }

    static long usedHeapAfterGc() throws InterruptedException {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            Thread.sleep(100);
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }

    @Test
    void aLineThatFailsIsNoMoreThanOneErrorLine() {
        assertThat(line("   ")).as("a blank line does nothing").isZero();
        assertThat(err.toString()).isEmpty();
        assertThat(line("# a comment")).isZero();
        assertThat(err.toString()).isEmpty();
        assertThat(line("savepoint \"unclosed")).isEqualTo(ExitCode.USAGE.code);
        assertThat(errLines()).singleElement().asString().startsWith("error: ");
    }

    /** A command that cannot run: one of its classes failed to initialize. */
    @picocli.CommandLine.Command(name = "broken")
    static final class Broken implements java.util.concurrent.Callable<Integer> {
        @Override
        public Integer call() {
            throw new NoClassDefFoundError("Could not initialize class org.example.Logging");
        }
    }

    @Test
    void aCommandWhoseClassesCannotLoadFailsItsLineNotTheRepl() {
        Shell withBroken = new Shell(Map.of("broken", Broken::new), new PrintWriter(out), new PrintWriter(err));
        assertThat(withBroken.run("broken")).isEqualTo(ExitCode.FAILURE.code);
        assertThat(errLines()).singleElement().asString().startsWith("error: NoClassDefFoundError: Could not initialize class");
        err.getBuffer().setLength(0);
        assertThat(withBroken.run("vars")).isZero();
        assertThat(err.toString()).isEmpty();
    }

    // --- session variables

    @Test
    void setUnsetAndTheLastExitCode() {
        assertThat(line("set job 0123456789abcdef0123456789abcdef")).isZero();
        assertThat(var("job")).isEqualTo("0123456789abcdef0123456789abcdef");
        assertThat(line("set savepoint '/tmp/a b/savepoint-1'")).as("quotes group words: %s", err).isZero();
        assertThat(var("savepoint")).isEqualTo("/tmp/a b/savepoint-1");
        assertThat(line("set job $savepoint")).as("a value with a space stays one word: %s", err).isZero();
        assertThat(var("job")).isEqualTo("/tmp/a b/savepoint-1");
        assertThat(line("set job a\\ b")).as("backslash: %s", err).isZero();
        assertThat(var("job")).isEqualTo("a b");
        assertThat(line("set job \"b c\"")).as("double quotes: %s", err).isZero();
        assertThat(var("job")).isEqualTo("b c");
        assertThat(line("unset job")).isZero();
        assertThat(var("job")).isEqualTo("(not set)");

        assertThat(line("frobnicate")).isEqualTo(ExitCode.USAGE.code);
        assertThat(line("set verdict $?")).as("$? is the last line's exit code").isZero();
        assertThat(var("verdict")).isEqualTo("2");

        assertThat(line("set verdict $undefined")).isEqualTo(ExitCode.USAGE.code);
        assertThat(errLines()).singleElement().asString().startsWith("error: unknown variable $undefined");
        assertThat(line("savepoint $job")).isEqualTo(ExitCode.USAGE.code);
        assertThat(errLines()).singleElement().asString().isEqualTo("error: $job is not set yet (see 'vars')");
        assertThat(line("set colour red")).isEqualTo(ExitCode.USAGE.code);
        assertThat(errLines()).singleElement().asString().startsWith("error: unknown variable 'colour'");
    }

    @Test
    void restMustBeAnHttpUrlAndIsEveryCommandsDefault() {
        assertThat(line("set rest ftp://x")).isEqualTo(ExitCode.USAGE.code);
        assertThat(errLines()).singleElement().asString().startsWith("error: bad REST URL 'ftp://x'");
        assertThat(line("set rest http://127.0.0.1:1/path")).isEqualTo(ExitCode.USAGE.code);
        assertThat(line("unset rest")).isEqualTo(ExitCode.USAGE.code);
        assertThat(var("rest")).as("refused URLs change nothing").isEqualTo(CLOSED);
        assertThat(shell.prompt()).isEqualTo("statelab 127.0.0.1:1> ");

        assertThat(line("set rest http://localhost:2")).isZero();
        assertThat(var("rest")).isEqualTo("http://localhost:2");
        assertThat(shell.prompt()).isEqualTo("statelab localhost:2> ");
        assertThat(line("savepoint " + NO_JOB)).isEqualTo(ExitCode.UNREACHABLE.code);
        assertThat(errLines()).singleElement().asString().contains("http://localhost:2");
    }

    @Test
    void commandsTakeWhatTheSessionRemembers() {
        assertThat(line("set job " + NO_JOB)).isZero();
        assertThat(line("savepoint")).as("savepoint takes $job").isEqualTo(ExitCode.UNREACHABLE.code);
        assertThat(errLines()).singleElement().asString().contains("cannot reach");

        // a composed result (experiment's): its steps in order, the last step's job id is the one remembered
        Map<String, Object> submit = new java.util.LinkedHashMap<>(Map.of("jobId", "original", "restUrl", "http://127.0.0.1:3"));
        Map<String, Object> resume = new java.util.LinkedHashMap<>(Map.of("jobId", "resumed", "savepoint", "/sp", "verdict", "RESTORE_FAILED"));
        Map<String, Object> experiment = new java.util.LinkedHashMap<>();
        experiment.put("job", "word-count");
        experiment.put("submit", submit);
        experiment.put("savepoint", Map.of("savepoint", "/sp", "jobId", "original"));
        experiment.put("resume", resume);
        experiment.put("verdict", "RESTORE_FAILED");
        shell.session().remember(experiment);
        assertThat(var("job")).isEqualTo("resumed");
        assertThat(var("savepoint")).isEqualTo("/sp");
        assertThat(var("verdict")).isEqualTo("RESTORE_FAILED");
        assertThat(var("rest")).isEqualTo("http://127.0.0.1:3");
    }

    // --- scripts

    @Test
    void aScriptStopsAtItsFirstFailingLineUnlessKeepGoing() throws IOException {
        String script = """
                # comment
                set job a

                frobnicate
                set job b
                """;
        int code = shell.script(new BufferedReader(new StringReader(script)), "lab.txt", false);
        assertThat(code).isEqualTo(ExitCode.USAGE.code);
        assertThat(err.toString().lines().toList()).containsExactly(
                "error: unknown command 'frobnicate': 'help' lists the commands",
                "error: lab.txt:4: 'frobnicate' exited 2; the script stops here (--keep-going goes on)");
        assertThat(var("job")).as("the line after the failing one did not run").isEqualTo("a");

        err.getBuffer().setLength(0);
        code = shell.script(new BufferedReader(new StringReader(script)), "lab.txt", true);
        assertThat(code).as("--keep-going: the last line's exit code").isZero();
        assertThat(err.toString().lines().toList()).containsExactly("error: unknown command 'frobnicate': 'help' lists the commands");
        assertThat(var("job")).isEqualTo("b");

        Path file = tmp.resolve("lab.statelab");
        Files.writeString(file, "set job c\nexit\nset job d\n");
        assertThat(shell.script(file, false)).isZero();
        assertThat(var("job")).as("exit ends the script").isEqualTo("c");
    }

    @Test
    void ctrlCDuringAScriptEndsItEvenWithKeepGoing() throws IOException {
        // first a REST call uninterrupted: the first one initializes logging, which an interrupt breaks for good
        assertThat(line("savepoint " + NO_JOB)).isEqualTo(ExitCode.UNREACHABLE.code);
        err.getBuffer().setLength(0);
        String script = "savepoint " + NO_JOB + "\nset job after-ctrl-c\nsavepoint " + NO_JOB + "\n";
        Thread.currentThread().interrupt(); // what Ctrl-C does to the REPL's thread while 'source --keep-going' runs
        int code;
        try {
            code = shell.script(new BufferedReader(new StringReader(script)), "lab.txt", true);
        } finally {
            assertThat(Thread.interrupted()).as("the interrupt is left for the REPL to report ('canceled')").isTrue();
        }
        assertThat(code).isNotZero();
        List<String> errors = errLines();
        assertThat(errors).as("%s", err).hasSize(2);
        assertThat(errors.get(1)).isEqualTo("error: lab.txt:1: canceled; the script stops here");
        assertThat(var("job")).as("no line runs after Ctrl-C").isEqualTo("(not set)");
    }

    @Test
    void sourceNestsButNotForever() throws IOException {
        Path inner = tmp.resolve("inner.statelab");
        Path outer = tmp.resolve("outer.statelab");
        Files.writeString(inner, "set job from-inner\n");
        Files.writeString(outer, "source " + inner + "\nset savepoint /from-outer\n");
        assertThat(line("source " + outer)).as("%s", err).isZero();
        assertThat(var("job")).isEqualTo("from-inner");
        assertThat(var("savepoint")).isEqualTo("/from-outer");

        Path loop = tmp.resolve("loop.statelab");
        Files.writeString(loop, "source " + loop + "\n");
        assertThat(line("source " + loop)).isEqualTo(ExitCode.USAGE.code);
        assertThat(err.toString()).containsOnlyOnce("source nested more than 16 deep");
        List<String> lines = errLines();
        assertThat(lines).allMatch(l -> l.startsWith("error: "));
        assertThat(lines.size()).as("one line for the limit, one per level it unwinds: %s", lines).isLessThanOrEqualTo(17);

        assertThat(line("source " + outer)).as("the depth is back to zero after the loop: %s", err).isZero();
        assertThat(line("source")).isEqualTo(ExitCode.USAGE.code);
        assertThat(errLines()).singleElement().asString().startsWith("error: usage: source");
    }

    // --- completion

    ReplCompleter completer() {
        return new ReplCompleter(shell.specs(), shell.session());
    }

    static Set<String> values(List<Candidate> candidates) {
        return candidates.stream().map(Candidate::value).collect(Collectors.toSet());
    }

    static List<String> words(String... words) {
        return new ArrayList<>(Arrays.asList(words));
    }

    @Test
    void completesCommandsOptionsSubcommandsAndValues() {
        ReplCompleter c = completer();
        Map<String, CommandSpec> specs = shell.specs();
        assertThat(specs.keySet()).containsExactly("cluster", "submit", "savepoint", "swap-sst", "resume", "experiment", "inspect", "diff", "edit", "sum-job", "chaos");

        assertThat(values(c.candidates(words(""), 0))).containsAll(specs.keySet()).containsAll(Shell.BUILTINS)
                .doesNotContain("repl", "generate-completion");
        assertThat(values(c.candidates(words("sav"), 0))).as("JLine filters by prefix; all are offered").contains("savepoint");
        assertThat(values(c.candidates(words("savepoint", "-"), 1))).contains("--format", "--rest-url", "--json", "--timeout", "--stop");
        assertThat(values(c.candidates(words("swap-sst", "--"), 1))).contains("--last", "--value", "--file");
        assertThat(values(c.candidates(words("cluster", ""), 1))).containsExactlyInAnyOrder("start", "stop", "status", "logs", "run", "prepare");
        assertThat(values(c.candidates(words("cluster", "start", "-"), 2))).as("the subcommand's options").contains("--port", "--slots");
        assertThat(values(c.candidates(words("savepoint", "--format", ""), 2))).containsExactlyInAnyOrder("CANONICAL", "NATIVE");
        assertThat(values(c.candidates(words("submit", "--wait", ""), 2))).containsExactlyInAnyOrder("none", "running", "finished");
        assertThat(values(c.candidates(words("submit", ""), 1))).contains("word-count", "sum-job");
        assertThat(values(c.candidates(words("help", ""), 1))).containsAll(specs.keySet());
        assertThat(values(c.candidates(words("set", ""), 1))).containsExactlyInAnyOrder("rest", "job", "savepoint", "verdict");
        assertThat(c.candidates(words("frobnicate", ""), 1)).isEmpty();
    }

    @Test
    void nothingIsOfferedForAJobsOwnArguments() {
        ReplCompleter c = completer();
        assertThat(c.candidates(words("submit", "word-count", "--", ""), 3)).isEmpty();
        assertThat(c.candidates(words("submit", "word-count", "--", "-"), 3)).isEmpty();
        assertThat(c.candidates(words("submit", "word-count", "--", "--keep-running", ""), 4)).isEmpty();
        assertThat(c.candidates(words("resume", "/tmp/sp", "--", "--"), 3)).isEmpty();
    }

    @Test
    @Timeout(30)
    void jobIdsOfAClusterThatIsDownAreNothingAndComeAtOnce() {
        ReplCompleter c = completer(); // $rest is a closed port
        for (int i = 0; i < 3; i++) {
            Instant start = Instant.now();
            List<Candidate> ids = c.candidates(words("savepoint", ""), 1);
            assertThat(Duration.between(start, Instant.now())).as("Tab %d with the cluster down", i + 1).isLessThan(Duration.ofSeconds(2));
            assertThat(ids).isEmpty();
        }
    }

    @Test
    @Timeout(60)
    void jobIdsOfAClusterThatNeverAnswersDoNotHangTheLine() throws Exception {
        // a port whose connections the kernel accepts and nobody ever answers: the REST call waits for its deadline
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            assertThat(line("set rest http://127.0.0.1:" + silent.getLocalPort())).isZero();
            ReplCompleter c = completer();
            for (int i = 0; i < 3; i++) {
                Instant start = Instant.now();
                List<Candidate> ids = c.candidates(words("savepoint", ""), 1);
                assertThat(Duration.between(start, Instant.now())).as("Tab %d with a silent cluster", i + 1)
                        .isLessThan(Duration.ofSeconds(2));
                assertThat(ids).isEmpty();
            }
        }
    }
}
