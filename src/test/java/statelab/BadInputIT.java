package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statelab.cli.ExitCode;
import statelab.savepoint.SavepointLayout;
import statelab.savepoint.SavepointLayout.StateFile;
import statelab.testing.Checkout;
import statelab.testing.DirectoryFingerprint;
import statelab.testing.InProcess;
import statelab.testing.Proc;
import statelab.testing.RestProbe;
import statelab.testing.TestCluster;

/**
 * Bad input of every kind the tamper commands meet: each gets one line on stderr, its documented exit code,
 * nothing on stdout, and leaves the savepoint byte-identical.
 */
@ExtendWith(TestCluster.class)
class BadInputIT {
    static Path savepoint;
    static Path canonical;

    @BeforeAll
    static void takeSavepoints() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        InProcess.Result submitted = InProcess.run(new Submit(), "word-count", "--rest-url", c.restUrl(), "--", "--keep-running");
        assertThat(submitted.exit()).as("%s", submitted).isZero();
        String jobId = submitted.out().strip();
        // the tests below need an SST and an OPTIONS file as files: a savepoint taken the moment the job runs holds
        // only its first words, small enough to be inlined in _metadata; a later one has them in a file
        savepoint = RestProbe.awaitValue("a savepoint with an SST file (not inlined in _metadata)", Duration.ofSeconds(60), () -> {
            InProcess.Result sp = InProcess.run(new Savepoint(), jobId, "--rest-url", c.restUrl());
            assertThat(sp.exit()).as("%s", sp).isZero();
            return Path.of(sp.out().strip());
        }, p -> fileSst(p).isPresent());
        InProcess.Result cp = InProcess.run(new Savepoint(), jobId, "--rest-url", c.restUrl(), "--format", "canonical");
        assertThat(cp.exit()).as("%s", cp).isZero();
        canonical = Path.of(cp.out().strip());
    }

    @AfterAll
    static void freeTheSlots() {
        RestProbe.cancelAll(TestCluster.get().restUrl());
    }

    @Test
    void aSavepointOfAFinishedJobSaysWhatHappenedToIt() {
        TestCluster.Instance c = TestCluster.get();
        InProcess.Result submitted = InProcess.run(new Submit(), "word-count", "--rest-url", c.restUrl(), "--wait", "finished",
                "--", "--words", "50");
        assertThat(submitted.exit()).as("%s", submitted).isZero();
        String jobId = submitted.out().strip();
        InProcess.Result r = assertFails(savepoint, ExitCode.NOT_FOUND, "is FINISHED (ended at", new Savepoint(), jobId, "--rest-url",
                c.restUrl());
        assertThat(r.err()).contains(jobId).contains("a savepoint needs a running job").contains("-- --keep-running");
    }

    @Test
    void aPipeWhoseFirstCommandFailedSaysSoInEveryStepAfterIt() {
        Proc.Result r = Proc.bash("./jbang submit no-such-job | ./jbang savepoint | ./jbang resume", Checkout.ROOT,
                TestCluster.get().env(), java.time.Duration.ofMinutes(3));
        assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.USAGE.code);
        assertThat(r.out()).isEmpty();
        assertThat(r.ownErrLines()).as("%s", r).hasSize(3);
        assertThat(r.ownErrLines().get(0)).startsWith("error: unknown job 'no-such-job'");
        assertThat(r.ownErrLines().subList(1, 3)).allSatisfy(line -> assertThat(line)
                .contains("stdin was empty (did the command before this one in the pipe fail?)"));
    }

    @Test
    void submittingAWordCountThatWillFinishWarnsThatASavepointNeedsKeepRunning() {
        TestCluster.Instance c = TestCluster.get();
        InProcess.Result r = InProcess.run(new Submit(), "wordcount", "--rest-url", c.restUrl(), "--", "--words", "50");
        assertThat(r.exit()).as("%s", r).isZero();
        assertThat(r.out().strip()).matches("[0-9a-f]{32}");
        assertThat(r.errLines()).singleElement().asString().startsWith("warning: word-count finishes after its last word")
                .contains("-- --keep-running");
    }

    /** Runs the command and checks the failure contract; the savepoint must come out byte-identical. */
    static InProcess.Result assertFails(Path watched, ExitCode expected, String messagePart, Object command, String... args) {
        Map<String, String> before = DirectoryFingerprint.of(watched);
        InProcess.Result r = InProcess.run(command, args);
        assertThat(r.exit()).as("%s", r).isEqualTo(expected.code);
        assertThat(r.out()).as("stdout").isEmpty();
        assertThat(r.errLines()).as("stderr").singleElement().asString().startsWith("error: ").contains(messagePart);
        assertThat(DirectoryFingerprint.of(watched)).as("%s byte-identical", watched).isEqualTo(before);
        return r;
    }

    /** An SST of the savepoint stored as a file of its own (the newest may be small enough to be inlined in _metadata). */
    static Optional<StateFile> fileSst(Path savepoint) {
        return SavepointLayout.load(savepoint).files().stream().filter(f -> f.kind() == SavepointLayout.Kind.SST && !f.inline()).findFirst();
    }

    @Test
    void missingGarbledAndNonSavepointPaths() throws IOException {
        assertFails(savepoint, ExitCode.NOT_FOUND, "no such file or directory", new SwapSst(), savepoint + "-missing");
        assertFails(savepoint, ExitCode.USAGE, "not a local path", new SwapSst(), "file:%zz");
        Path empty = Files.createTempDirectory(Checkout.TARGET, "not-a-savepoint-");
        assertFails(savepoint, ExitCode.NOT_FOUND, "has no _metadata", new SwapSst(), empty.toString());
        assertFails(savepoint, ExitCode.NOT_FOUND, "has no _metadata", new Resume(), empty.toString(), "--rest-url", TestCluster.get().restUrl());
    }

    @Test
    void aCanonicalSavepointIsRefusedWithTheReason() {
        assertFails(canonical, ExitCode.BAD_STATE, "canonical savepoint", new SwapSst(), canonical.toString());
    }

    @Test
    void filesThatAreNotSstsAreRefused() {
        StateFile options = SavepointLayout.load(savepoint).files().stream()
                .filter(f -> f.kind() == SavepointLayout.Kind.OPTIONS && !f.inline()).findFirst()
                .orElseThrow(() -> new AssertionError("expected the OPTIONS file above the inline threshold"));
        assertFails(savepoint, ExitCode.BAD_STATE, "not a RocksDB SST file", new SwapSst(), options.path().toString());
        assertFails(savepoint, ExitCode.NOT_FOUND, "no SST '" + options.rocksdbName() + "'", new SwapSst(), savepoint.toString(),
                "--file", options.rocksdbName());
    }

    @Test
    void aTruncatedSstIsRefusedAndLeftAsItWas() throws Exception {
        Path copy = Files.createTempDirectory(Checkout.TARGET, "truncated-");
        SwapSstShapesIT.copyTree(savepoint, copy);
        StateFile target = fileSst(copy).orElseThrow();
        try (FileChannel ch = FileChannel.open(target.path(), StandardOpenOption.WRITE)) {
            ch.truncate(target.size() / 2);
        }
        assertFails(copy, ExitCode.BAD_STATE, "not a RocksDB SST file", new SwapSst(), copy.toString(), "--file", target.rocksdbName());
    }

    @Test
    void entryCountsOutOfRangeAndBadValues() {
        assertFails(savepoint, ExitCode.USAGE, "--last must be at least 1", new SwapSst(), savepoint.toString(), "--last", "0");
        assertFails(savepoint, ExitCode.USAGE, "--last must be at least 1", new SwapSst(), savepoint.toString(), "--last", "-3");
        // more entries than the SST holds is not bad input: all of them change, with a warning (SwapSstShapesIT)
        assertFails(savepoint, ExitCode.USAGE, "--value must be bytes in hex", new SwapSst(), savepoint.toString(), "--value", "xyz");
        assertFails(savepoint, ExitCode.USAGE, "--largest picks the file by itself", new SwapSst(), savepoint.toString(), "--largest",
                "--subtask", "0");
    }

    @Test
    void aReadOnlySavepointIsRefusedUntouched() throws Exception {
        Path copy = Files.createTempDirectory(Checkout.TARGET, "read-only-");
        SwapSstShapesIT.copyTree(savepoint, copy);
        Runnable undo = makeReadOnly(copy);
        try {
            assertFails(copy, ExitCode.CANNOT_WRITE, "cannot write", new SwapSst(), copy.toString());
        } finally {
            undo.run();
        }
        try (var left = Files.list(copy)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void unknownJobsAndUnreachableClustersAreNamed() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        assertFails(savepoint, ExitCode.NOT_FOUND, "not found", new Savepoint(), "0123456789abcdef0123456789abcdef", "--rest-url", c.restUrl());

        int closed = TestCluster.freePort();
        assertFails(savepoint, ExitCode.UNREACHABLE, "connection refused", new Savepoint(), "0123456789abcdef0123456789abcdef",
                "--rest-url", "http://127.0.0.1:" + closed);
        assertFails(savepoint, ExitCode.UNREACHABLE, "connection refused", new Resume(), savepoint.toString(),
                "--rest-url", "http://127.0.0.1:" + closed);
        assertFails(savepoint, ExitCode.UNREACHABLE, "connection refused", new Submit(), "word-count",
                "--rest-url", "http://127.0.0.1:" + closed);

        // a port where something that is not Flink answers HTTP
        HttpServer other = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        other.createContext("/", exchange -> {
            byte[] body = "<html>not flink</html>".getBytes();
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        other.start();
        try {
            assertFails(savepoint, ExitCode.UNREACHABLE, "not Flink's REST API", new Savepoint(), "0123456789abcdef0123456789abcdef",
                    "--rest-url", "http://127.0.0.1:" + other.getAddress().getPort());
        } finally {
            other.stop(0);
        }

        // a port that accepts connections and closes them without a word
        try (ServerSocket mute = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread closer = new Thread(() -> {
                while (!mute.isClosed()) {
                    try (Socket s = mute.accept()) {
                        s.setSoLinger(true, 0);
                    } catch (IOException ignored) {
                        return;
                    }
                }
            });
            closer.setDaemon(true);
            closer.start();
            assertFails(savepoint, ExitCode.UNREACHABLE, "REST API", new Savepoint(), "0123456789abcdef0123456789abcdef",
                    "--rest-url", "http://127.0.0.1:" + mute.getLocalPort());
        }
    }

    @Test
    void resumeWithoutAJobRecordAsksForOne() throws Exception {
        Path copy = Files.createTempDirectory(Checkout.TARGET, "no-record-");
        SwapSstShapesIT.copyTree(savepoint, copy);
        Files.delete(copy.resolve("_statelab-job.json"));
        assertFails(copy, ExitCode.USAGE, "pass --job or --jar", new Resume(), copy.toString(), "--rest-url", TestCluster.get().restUrl());
    }

    /**
     * Makes {@code dir} unwritable for this process: permissions, and where they do not bind (root), the
     * immutable attribute. Skips the test when neither works here.
     */
    static Runnable makeReadOnly(Path dir) throws Exception {
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
        if (!canCreateIn(dir)) {
            return () -> setWritable(dir);
        }
        Proc.Result chattr = Proc.run(List.of("chattr", "+i", dir.toString()), Checkout.ROOT, Map.of(), null, java.time.Duration.ofSeconds(10));
        if (chattr.exit() == 0 && !canCreateIn(dir)) {
            return () -> {
                Proc.run(List.of("chattr", "-i", dir.toString()), Checkout.ROOT, Map.of(), null, java.time.Duration.ofSeconds(10));
                setWritable(dir);
            };
        }
        setWritable(dir);
        Assumptions.abort("cannot make a directory read-only for this user here (root without chattr +i)");
        return () -> {};
    }

    private static boolean canCreateIn(Path dir) {
        try {
            Files.delete(Files.createTempFile(dir, "probe", ".tmp"));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void setWritable(Path dir) {
        try {
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
