package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rocksdb.CompressionType;
import statelab.bench.FlinkLikeSst;
import statelab.cli.Poll;
import statelab.testing.Checkout;
import statelab.testing.DirectoryFingerprint;
import statelab.testing.InProcess;
import statelab.testing.Proc;

/**
 * A swap-sst killed at any moment leaves the SST byte-identical to the original or to the complete result, never
 * in between, and the next run on it leaves no temporary file or undo record behind.
 *
 * <ul>
 *   <li>{@code --mode full} and {@code --mode block} write a new version beside the SST and rename it over the SST
 *       only when complete and synced. SIGKILL leaves the hidden temporary file behind (nothing runs on SIGKILL);
 *       the next writing run removes it. SIGTERM removes it at once.</li>
 *   <li>{@code --mode same-size --in-place} writes an undo record, then the changed regions into the SST itself. A
 *       kill after the record leaves it behind, with the SST possibly half-patched on disk, until the next run
 *       (even a {@code --dry-run}) rolls the SST back to the original.</li>
 * </ul>
 * Each kind is killed 20 times at delays spread over an uninterrupted run, and once at each window a random kill
 * almost never hits, reached with {@code STATELAB_PAUSE_AT}. Each series prints where its kills landed.
 *
 * <p>Where the kills land. On this 2-core machine, shared with other builds, a run took 1.1 to 6 s; all but
 * its last 100 to 400 ms is JVM start-up, opening the table and planning (and, for block, the 80 MB copy); the
 * change itself (sync, rename; or undo record, patch, sync, commit) and the JVM's exit come last. Spread from the
 * start alone, the kills landed all 20 before the change in one series and half after the run's end in another
 * (the timed run had been slowed down). So kills 0-9 are spread from the start to the progress line the run
 * prints when the copy is done or the patch planned, and kills 10-19 over the time from that line to the end,
 * counted from the line each killed run prints. Four such series gave:
 * <ul>
 *   <li>block: 9, 9, 10, 7 before the write; 0, 0, 0, 1 mid-copy with a partial temporary file left; 1, 0, 1, 2
 *       before the rename with the complete temporary file left; 3, 3, 4, 2 after the rename (complete); 7, 8, 5,
 *       8 after the run had ended (complete). The copy, about 200 ms, falls between kills 110 to 340 ms apart.</li>
 *   <li>in place: 11, 13, 11, 13 before the patch; 1, 0, 1, 1 with the undo record left and the SST still the
 *       original; 3, 3, 7, 2 with the record left and the patch complete on disk (both rolled back by the next
 *       run); 2, 4, 0, 2 after the commit; 3, 0, 1, 2 after the run had ended. None found the SST half-patched:
 *       the regions are written within microseconds, which only the paused kill at {@code region-written} hits.</li>
 * </ul>
 */
class CrashSafetyIT {
    static final String NAME = "large.sst";
    static final int KILLS = 20;
    static final String[] BLOCK = {"--mode", "block"};
    /**
     * 8-byte values, as the generated ones, in the last 300 entries: the patch spans two data blocks, so a kill
     * between the two regions leaves a file that is neither the original nor the result.
     */
    static final String[] IN_PLACE = {"--mode", "same-size", "--in-place", "--value", "0000000000000063", "--last", "300"};
    static final String UNDO_RECORD = "." + NAME + ".statelab-undo";
    static final String TEMPORARY_FILE = "\\.large\\.sst\\.\\d+-\\d+\\.tmp";

    static Path original;
    static String originalSha;
    static Uninterrupted block;
    static Uninterrupted inPlace;

    /**
     * What an uninterrupted run of a separate JVM produced, and when: its progress line ({@code --progress}: the
     * copy done, or the patch planned) and its end, in milliseconds from its start.
     */
    record Uninterrupted(String sha, long lineMillis, long endMillis) {}

    @BeforeAll
    static void generateALargeSstAndRunEachModeOnce() throws Exception {
        Path dir = Checkout.TARGET.resolve("crash-safety");
        Files.createDirectories(dir);
        original = dir.resolve(NAME);
        if (!Files.exists(original)) {
            FlinkLikeSst.write(original, 6_000_000, 5, 8, CompressionType.SNAPPY_COMPRESSION, 5);
        }
        originalSha = sha(original);
        block = uninterrupted("block-whole", BLOCK);
        inPlace = uninterrupted("in-place-whole", IN_PLACE);
    }

    @Test
    void sigkillMidWriteLeavesTheOriginalIntact() throws Exception {
        Path dir = freshCopy("sigkill");
        Path sst = dir.resolve(NAME);
        Process p = startSwap(sst);
        Path partial = awaitPartialWrite(p, dir);
        p.destroyForcibly().waitFor();

        assertThat(sha(sst)).as("original untouched").isEqualTo(originalSha);
        assertThat(partial.getFileName().toString()).matches(TEMPORARY_FILE);
        // the leftover hidden file does not stand in the way of the next run, which removes it
        Proc.Result again = Proc.run(Proc.java("statelab.SwapSst", "--mode", "full", sst.toString()), Checkout.ROOT, Map.of(), null,
                Duration.ofMinutes(5));
        assertThat(again.exit()).as("%s", again).isZero();
        assertThat(sha(sst)).isNotEqualTo(originalSha);
        assertThat(files(dir)).containsExactly(NAME);
    }

    @Test
    void sigtermMidWriteLeavesTheOriginalIntactAndNoTemporaryFile() throws Exception {
        Path dir = freshCopy("sigterm");
        Path sst = dir.resolve(NAME);
        Process p = startSwap(sst);
        awaitPartialWrite(p, dir);
        p.destroy();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(sha(sst)).as("original untouched").isEqualTo(originalSha);
        assertThat(files(dir)).containsExactly(NAME);
    }

    @Test
    void sigkillAnywhereInABlockRewriteLeavesTheOriginalOrTheResult() throws Exception {
        List<String> landed = new ArrayList<>();
        for (int i = 0; i < KILLS; i++) {
            Path dir = freshCopy("block-kills");
            Path sst = dir.resolve(NAME);
            String what = "kill " + i + " " + when(i, block);
            int exit = kill(i, block, dir, BLOCK);
            assertThat(exit).as("%s: killed or done, not failed", what).isIn(0, 137);
            String onDisk = sha(sst);
            assertThat(onDisk).as("%s: the SST", what).isIn(originalSha, block.sha());
            if (exit == 0) {
                assertThat(onDisk).as("%s: a run that ended wrote the result", what).isEqualTo(block.sha());
            }
            List<String> left = hidden(dir);
            assertThat(left).as("%s: at most the temporary file of the killed run", what).hasSizeLessThanOrEqualTo(1)
                    .allMatch(n -> n.matches(TEMPORARY_FILE));
            if (!left.isEmpty()) {
                assertThat(onDisk).as("%s: a temporary file left means no rename", what).isEqualTo(originalSha);
            }
            landed.add(exit == 0 ? "after the run ended" : !onDisk.equals(originalSha) ? "after the rename"
                    : left.isEmpty() ? "before the write"
                    : sha(dir.resolve(left.get(0))).equals(block.sha()) ? "before the rename, complete temporary file left"
                    : "mid-write, partial temporary file left");

            InProcess.Result next = InProcess.run(new SwapSst(), "--mode", "block", sst.toString());
            assertThat(next.exit()).as("%s: the next run\n%s", what, next).isZero();
            assertThat(files(dir)).as("%s: after the next run", what).containsExactly(NAME);
            assertThat(sha(sst)).as("%s: after the next run", what).isEqualTo(block.sha());
        }
        report("block rewrite", block, landed);
    }

    @Test
    void sigkillBetweenTheCompleteTemporaryFileAndItsRenameLeavesTheOriginal() throws Exception {
        Path dir = freshCopy("block-tmp-synced");
        Path sst = dir.resolve(NAME);
        killAt("tmp-synced", dir, BLOCK);

        assertThat(sha(sst)).as("original untouched").isEqualTo(originalSha);
        List<String> left = hidden(dir);
        assertThat(left).hasSize(1).allMatch(n -> n.matches(TEMPORARY_FILE));
        assertThat(sha(dir.resolve(left.get(0)))).as("the temporary file is the complete result").isEqualTo(block.sha());

        InProcess.Result next = InProcess.run(new SwapSst(), "--mode", "block", sst.toString());
        assertThat(next.exit()).as("%s", next).isZero();
        assertThat(files(dir)).as("the next run removes the dead run's temporary file").containsExactly(NAME);
        assertThat(sha(sst)).isEqualTo(block.sha());
    }

    @Test
    void sigkillAnywhereInAnInPlacePatchLeavesTheOriginalOrTheResultOnceRecovered() throws Exception {
        List<String> landed = new ArrayList<>();
        for (int i = 0; i < KILLS; i++) {
            Path dir = freshCopy("in-place-kills");
            Path sst = dir.resolve(NAME);
            String what = "kill " + i + " " + when(i, inPlace);
            int exit = kill(i, inPlace, dir, IN_PLACE);
            assertThat(exit).as("%s: killed or done, not failed", what).isIn(0, 137);
            String onDisk = sha(sst);
            if (exit == 0) {
                assertThat(onDisk).as("%s: a run that ended wrote the result", what).isEqualTo(inPlace.sha());
            }
            boolean recordLeft = Files.exists(dir.resolve(UNDO_RECORD));
            assertThat(hidden(dir)).as("%s: at most the undo record or its temporary file", what).hasSizeLessThanOrEqualTo(1)
                    .allMatch(n -> n.equals(UNDO_RECORD) || n.equals(UNDO_RECORD + ".tmp"));

            InProcess.Result recovery = recover(sst);
            assertThat(recovery.exit()).as("%s: the recovery run\n%s", what, recovery).isZero();
            assertThat(recovery.err().contains("rolled back")).as("%s: rolled back when a record was left\n%s", what, recovery)
                    .isEqualTo(recordLeft);
            assertThat(files(dir)).as("%s: after the recovery run", what).containsExactly(NAME);
            String recovered = sha(sst);
            if (recordLeft) {
                assertThat(recovered).as("%s: an interrupted patch is rolled back", what).isEqualTo(originalSha);
            } else {
                assertThat(onDisk).as("%s: no record, so no patch under way", what).isIn(originalSha, inPlace.sha());
                assertThat(recovered).as("%s: nothing to roll back", what).isEqualTo(onDisk);
            }
            landed.add(exit == 0 ? "after the run ended" : recordLeft ? "undo record left, " + state(onDisk) + " on disk, rolled back"
                    : recovered.equals(originalSha) ? "before the patch" : "after the commit");
        }
        report("in-place patch", inPlace, landed);
    }

    @Test
    void sigkillAfterTheUndoRecordBeforeAnyRegionLeavesTheOriginal() throws Exception {
        assertThat(killInPlaceAt("undo-synced")).as("on disk before recovery").isEqualTo(originalSha);
    }

    @Test
    void sigkillBetweenTwoRegionsLeavesAHalfPatchedFileThatTheNextRunRollsBack() throws Exception {
        // the one moment the file on disk is neither: only the next run's roll-back makes it the original again
        assertThat(killInPlaceAt("region-written")).as("on disk before recovery").isNotIn(originalSha, inPlace.sha());
    }

    @Test
    void sigkillAfterTheSyncBeforeTheRecordIsDeletedLeavesAResultThatTheNextRunRollsBack() throws Exception {
        // the patch is on disk but not committed (deleting the record is the commit): recovery makes it the original
        assertThat(killInPlaceAt("patched")).as("on disk before recovery").isEqualTo(inPlace.sha());
    }

    /**
     * Kills an in-place patch paused at {@code point}; checks the undo record is there, and that the recovery
     * run rolls the SST back to the original and removes the record. Returns the SST's SHA-256 before recovery.
     */
    static String killInPlaceAt(String point) throws Exception {
        Path dir = freshCopy("in-place-" + point);
        Path sst = dir.resolve(NAME);
        killAt(point, dir, IN_PLACE);
        String onDisk = sha(sst);
        assertThat(hidden(dir)).as("the undo record, complete").containsExactly(UNDO_RECORD);

        InProcess.Result recovery = recover(sst);
        assertThat(recovery.exit()).as("%s", recovery).isZero();
        assertThat(recovery.err()).contains("rolled back");
        assertThat(files(dir)).containsExactly(NAME);
        assertThat(sha(sst)).as("rolled back").isEqualTo(originalSha);
        return onDisk;
    }

    /** The recovery-only run: the in-place command again with --dry-run, which rolls back and writes nothing else. */
    static InProcess.Result recover(Path sst) {
        List<String> args = new ArrayList<>(Arrays.asList(IN_PLACE));
        args.add("--dry-run");
        args.add(sst.toString());
        return InProcess.run(new SwapSst(), args.toArray(String[]::new));
    }

    /** Whether kill {@code i} is timed from the killed run's progress line (the second half) or from its start. */
    static boolean afterLine(int i) {
        return i >= KILLS / 2;
    }

    /**
     * How long after its start or its progress line kill {@code i} comes: the first half in the middles of equal
     * slices of the time from the start to the progress line, the second half likewise over the time from that line
     * to the end, as {@code run} took them.
     */
    static long delay(int i, Uninterrupted run) {
        int half = KILLS / 2;
        long span = afterLine(i) ? run.endMillis() - run.lineMillis() : run.lineMillis();
        return span * (2L * (i % half) + 1) / (2L * half);
    }

    static String when(int i, Uninterrupted run) {
        return delay(i, run) + (afterLine(i) ? " ms after the progress line" : " ms after the start");
    }

    /** Starts swap-sst ARGS on the SST in {@code dir}, SIGKILLs it as kill {@code i} of {@link #KILLS}; returns its exit code. */
    static int kill(int i, Uninterrupted timing, Path dir, String... args) throws Exception {
        try (Watched run = Watched.start(dir, Map.of(), args)) {
            if (afterLine(i)) {
                run.awaitProgressLine(Duration.ofMinutes(2));
            }
            Thread.sleep(delay(i, timing));
            return run.kill();
        }
    }

    /** Starts swap-sst ARGS on the SST in {@code dir} to pause at {@code point}, and SIGKILLs it there. */
    static void killAt(String point, Path dir, String... args) throws Exception {
        try (Watched run = Watched.start(dir, Map.of("STATELAB_PAUSE_AT", point), args)) {
            String marker = "statelab: paused at " + point;
            Optional<Boolean> paused = Poll.until(Duration.ofMinutes(2), () -> {
                if (run.lines().contains(marker)) {
                    return Optional.of(true);
                }
                assertThat(run.process().isAlive()).as("swap-sst reaches %s\n%s", point, run.lines()).isTrue();
                return Optional.empty();
            });
            assertThat(paused).as("swap-sst paused at %s within 2 minutes\n%s", point, run.lines()).isPresent();
            assertThat(run.kill()).as("killed while paused").isEqualTo(137);
        }
    }

    static String state(String sha) {
        return sha.equals(originalSha) ? "original" : sha.equals(inPlace.sha()) ? "complete" : "half-patched";
    }

    static void report(String kind, Uninterrupted run, List<String> landed) {
        StringBuilder sb = new StringBuilder(kind + ", " + KILLS + " kills spread over a run of " + run.endMillis()
                + " ms with its progress line at " + run.lineMillis() + " ms:");
        landed.stream().distinct().forEach(l -> sb.append("\n  ").append(l).append(": ")
                .append(landed.stream().filter(l::equals).count()));
        for (int i = 0; i < landed.size(); i++) {
            sb.append("\n  kill ").append(i).append(" ").append(when(i, run)).append(": ").append(landed.get(i));
        }
        System.out.println(sb);
    }

    /**
     * Runs swap-sst ARGS on a fresh copy in a separate JVM to its end, twice: the complete result (the same both
     * times), and the timing of the quicker run. Other builds on the machine stretch a run now and then; kills
     * spread over a stretched run come after the end.
     */
    static Uninterrupted uninterrupted(String name, String... args) throws Exception {
        Uninterrupted first = runToEnd(name, args);
        Uninterrupted second = runToEnd(name, args);
        assertThat(second.sha()).as("swap-sst %s gives the same result every time", String.join(" ", args)).isEqualTo(first.sha());
        return first.endMillis() <= second.endMillis() ? first : second;
    }

    static Uninterrupted runToEnd(String name, String... args) throws Exception {
        Path dir = freshCopy(name);
        try (Watched run = Watched.start(dir, Map.of(), args)) {
            long line = run.awaitProgressLine(Duration.ofMinutes(5));
            assertThat(run.process().waitFor(5, TimeUnit.MINUTES)).as("swap-sst %s ends", String.join(" ", args)).isTrue();
            long end = run.millis();
            assertThat(run.process().exitValue()).as("swap-sst %s\n%s", String.join(" ", args), run.lines()).isZero();
            assertThat(line).as("swap-sst %s printed a progress line\n%s", String.join(" ", args), run.lines()).isPositive();
            String sha = sha(dir.resolve(NAME));
            assertThat(sha).as("swap-sst %s changes the file", String.join(" ", args)).isNotEqualTo(originalSha);
            assertThat(files(dir)).containsExactly(NAME);
            return new Uninterrupted(sha, line, end);
        }
    }

    /**
     * swap-sst ARGS on the SST in a directory, as a separate JVM with {@code --progress}, its stderr read line by
     * line as it comes, so that a kill can be timed from its progress line to within a millisecond.
     */
    static final class Watched implements AutoCloseable {
        static final String PROGRESS = "swap-sst: ";
        private final Process process;
        private final long startNanos;
        private final List<String> lines = new CopyOnWriteArrayList<>();
        private final CountDownLatch progressLine = new CountDownLatch(1);
        private volatile long lineNanos = -1;

        private Watched(Process process, long startNanos) {
            this.process = process;
            this.startNanos = startNanos;
        }

        static Watched start(Path dir, Map<String, String> env, String... args) throws IOException {
            List<String> swapArgs = new ArrayList<>(Arrays.asList(args));
            swapArgs.add("--progress");
            swapArgs.add(dir.resolve(NAME).toString());
            List<String> cmd = new ArrayList<>(Proc.java("statelab.SwapSst", swapArgs.toArray(String[]::new)));
            // as jbang runs it (CommandRunner's //JAVA_OPTIONS); the default G1 adds about a second to start-up on 2 cores
            cmd.add(1, "-XX:+UseSerialGC");
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(Checkout.ROOT.toFile())
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().putAll(Checkout.env(env));
            long started = System.nanoTime();
            Watched run = new Watched(pb.start(), started);
            Thread reader = new Thread(run::readStderr, "swap-sst-stderr");
            reader.setDaemon(true);
            reader.start();
            return run;
        }

        private void readStderr() {
            try (BufferedReader err = new BufferedReader(new InputStreamReader(process.getErrorStream(), StandardCharsets.UTF_8))) {
                for (String line = err.readLine(); line != null; line = err.readLine()) {
                    if (line.startsWith(PROGRESS) && progressLine.getCount() > 0) {
                        lineNanos = System.nanoTime();
                        progressLine.countDown();
                    }
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("(stderr unreadable: " + e.getMessage() + ")");
            } finally {
                progressLine.countDown(); // the run ended without one: nobody waits for it in vain
            }
        }

        /** Waits for the first progress line (or the end of the run); its time from the start in ms, -1 without one. */
        long awaitProgressLine(Duration timeout) throws InterruptedException {
            assertThat(progressLine.await(timeout.toMillis(), TimeUnit.MILLISECONDS)).as("swap-sst progress within %s", timeout).isTrue();
            return lineNanos < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(lineNanos - startNanos);
        }

        Process process() {
            return process;
        }

        /** What it has printed on stderr so far. */
        List<String> lines() {
            return lines;
        }

        long millis() {
            return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        }

        /** SIGKILL (a no-op when the run has ended by itself); its exit code: 137 when killed. */
        int kill() throws InterruptedException {
            process.destroyForcibly();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("killed").isTrue();
            return process.exitValue();
        }

        @Override
        public void close() {
            process.destroyForcibly();
        }
    }

    static Path freshCopy(String name) throws IOException {
        Path dir = Checkout.TARGET.resolve("crash-safety").resolve(name);
        if (Files.exists(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
        }
        Files.createDirectories(dir);
        Files.copy(original, dir.resolve(NAME));
        return dir;
    }

    /** The full rewrite: slow enough (seconds for 80 MB) to be caught mid-write. */
    static Process startSwap(Path sst) throws IOException {
        List<String> cmd = Proc.java("statelab.SwapSst", "--mode", "full", sst.toString());
        return new ProcessBuilder(cmd).directory(Checkout.ROOT.toFile())
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
    }

    /** Waits until the new version is being written (a temporary file past 1 MiB); fails if the run ends first. */
    static Path awaitPartialWrite(Process p, Path dir) throws Exception {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
        while (Instant.now().isBefore(deadline)) {
            Optional<Path> tmp;
            try (Stream<Path> files = Files.list(dir)) {
                tmp = files.filter(f -> f.getFileName().toString().endsWith(".tmp")).findFirst();
            }
            // swap-sst deletes the temporary file it reserved and lets RocksDB's writer create it anew: it may vanish
            if (tmp.isPresent() && tmp.get().toFile().length() > (1 << 20)) {
                return tmp.get();
            }
            assertThat(p.isAlive()).as("swap-sst still writing (make the generated SST larger if this fails)").isTrue();
            Thread.sleep(20);
        }
        throw new AssertionError("no partial write seen within 2 minutes");
    }

    static List<String> files(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    static List<String> hidden(Path dir) throws IOException {
        return files(dir).stream().filter(n -> n.startsWith(".")).toList();
    }

    static String sha(Path file) {
        return DirectoryFingerprint.sha256(file);
    }
}
