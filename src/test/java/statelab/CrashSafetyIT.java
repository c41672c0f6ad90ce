package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.rocksdb.CompressionType;
import statelab.bench.FlinkLikeSst;
import statelab.testing.Checkout;
import statelab.testing.DirectoryFingerprint;
import statelab.testing.Proc;

/**
 * A swap-sst killed while it writes leaves the original SST as it was: the new version is written beside it
 * and renamed over it only when complete. Killed with SIGKILL, the partial temporary file stays behind (nothing
 * can run on SIGKILL) as a hidden file; with SIGTERM it is removed too.
 */
class CrashSafetyIT {
    static Path original;

    @BeforeAll
    static void generateALargeSst() throws Exception {
        Path dir = Checkout.TARGET.resolve("crash-safety");
        Files.createDirectories(dir);
        original = dir.resolve("large.sst");
        if (!Files.exists(original)) {
            FlinkLikeSst.write(original, 6_000_000, 5, 8, CompressionType.SNAPPY_COMPRESSION, 5);
        }
    }

    @Test
    void sigkillMidWriteLeavesTheOriginalIntact() throws Exception {
        Path dir = freshCopy("sigkill");
        Path sst = dir.resolve("large.sst");
        String before = DirectoryFingerprint.sha256(sst);
        Process p = startSwap(sst);
        Path partial = awaitPartialWrite(p, dir);
        p.destroyForcibly().waitFor();

        assertThat(DirectoryFingerprint.sha256(sst)).as("original untouched").isEqualTo(before);
        assertThat(partial.getFileName().toString()).startsWith(".large.sst.").endsWith(".tmp");
        // the leftover hidden file does not stand in the way of the next run
        Proc.Result again = Proc.run(Proc.java("statelab.SwapSst", sst.toString()), Checkout.ROOT, java.util.Map.of(), null,
                Duration.ofMinutes(5));
        assertThat(again.exit()).as("%s", again).isZero();
        assertThat(DirectoryFingerprint.sha256(sst)).isNotEqualTo(before);
    }

    @Test
    void sigtermMidWriteLeavesTheOriginalIntactAndNoTemporaryFile() throws Exception {
        Path dir = freshCopy("sigterm");
        Path sst = dir.resolve("large.sst");
        String before = DirectoryFingerprint.sha256(sst);
        Process p = startSwap(sst);
        awaitPartialWrite(p, dir);
        p.destroy();
        assertThat(p.waitFor(java.util.concurrent.TimeUnit.SECONDS.toMillis(60), java.util.concurrent.TimeUnit.MILLISECONDS)).isTrue();

        assertThat(DirectoryFingerprint.sha256(sst)).as("original untouched").isEqualTo(before);
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).containsExactly("large.sst");
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
        Files.copy(original, dir.resolve("large.sst"));
        return dir;
    }

    static Process startSwap(Path sst) throws IOException {
        List<String> cmd = Proc.java("statelab.SwapSst", sst.toString());
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
}
