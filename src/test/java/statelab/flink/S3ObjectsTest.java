package statelab.flink;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import statelab.flink.S3Objects.Copy;
import statelab.flink.S3Objects.Part;
import statelab.flink.S3Objects.Upload;

/** The part plan of a server-side compose, and how S3Objects reads Flink's S3 settings: no store needed (S3IT has one). */
class S3ObjectsTest {
    static final long MIB = 1 << 20;
    static final long MIN = S3Objects.MIN_PART;

    /**
     * What S3 demands of a plan, and what makes it right: parts that lay the result out end to end, every part but the
     * last at least the minimum, none above the copy or upload size, and every copied range one the base shares with
     * the result at that place (its first {@code prefix} bytes, or its last {@code suffix} ones).
     */
    static void assertValid(List<Part> parts, long base, long result, long prefix, long suffix, long copyPart, long uploadPart) {
        long at = 0;
        for (int i = 0; i < parts.size(); i++) {
            Part p = parts.get(i);
            assertThat(p.length()).as("part %d of %s", i + 1, parts).isPositive();
            if (i < parts.size() - 1) {
                assertThat(p.length()).as("part %d of %s is not the last", i + 1, parts).isGreaterThanOrEqualTo(MIN);
            }
            if (p instanceof Copy c) {
                assertThat(c.length()).isLessThanOrEqualTo(copyPart);
                boolean fromHead = c.from() == at && c.from() + c.length() <= prefix;
                long shift = base - result; // the base's tail lies this much further on than the result's
                boolean fromTail = c.from() - shift == at && c.from() >= base - suffix && c.from() + c.length() <= base;
                assertThat(fromHead || fromTail).as("copy %s at result offset %d is a shared range", c, at).isTrue();
            } else {
                Upload u = (Upload) p;
                assertThat(u.from()).isEqualTo(at);
                assertThat(u.length()).isLessThanOrEqualTo(uploadPart);
            }
            at += p.length();
        }
        assertThat(at).as("the parts of %s add up to the result", parts).isEqualTo(result);
    }

    @Test
    void aChangeNearTheEndCopiesTheHeadAndUploadsTheRest() {
        // swap-sst's default: the last blocks, the index and the footer change; the table grows by a few bytes
        long base = 1024 * MIB;
        long result = base + 4560;
        long prefix = base - 6 * MIB;
        List<Part> parts = S3Objects.plan(base, result, prefix, 0);
        assertValid(parts, base, result, prefix, 0, S3Objects.COPY_PART, S3Objects.UPLOAD_PART);
        long uploaded = parts.stream().filter(p -> p instanceof Upload).mapToLong(Part::length).sum();
        assertThat(uploaded).as("only what changed goes up").isEqualTo(result - prefix);
        assertThat(parts.stream().filter(p -> p instanceof Copy)).as("1 GiB in copy parts of 256 MiB at most, copied at once").hasSize(4);
    }

    @Test
    void aChangeInTheMiddleOfASameSizeFileCopiesBothEnds() {
        long size = 300 * MIB;
        List<Part> parts = S3Objects.plan(size, size, 100 * MIB, 199 * MIB);
        assertValid(parts, size, size, 100 * MIB, 199 * MIB, S3Objects.COPY_PART, S3Objects.UPLOAD_PART);
        assertThat(parts.get(parts.size() - 1)).isInstanceOf(Copy.class);
        long uploaded = parts.stream().filter(p -> p instanceof Upload).mapToLong(Part::length).sum();
        assertThat(uploaded).as("the middle, padded to S3's smallest part").isEqualTo(MIN);
    }

    @Test
    void aShortDifferenceAtTheStartStillCopiesTheTail() {
        long size = 64 * MIB;
        List<Part> parts = S3Objects.plan(size, size, 10, size - 4096);
        assertValid(parts, size, size, 10, size - 4096, S3Objects.COPY_PART, S3Objects.UPLOAD_PART);
        assertThat(parts.get(0)).isEqualTo(new Upload(0, MIN));
    }

    @Test
    void tooLittleSharedIsAPlainUpload() {
        assertThat(S3Objects.plan(4 * MIB, 4 * MIB, 3 * MIB, 0)).as("a file below the smallest part").isEmpty();
        assertThat(S3Objects.plan(100 * MIB, 90 * MIB, 1 * MIB, 2 * MIB)).as("a few MiB shared of 100").isEmpty();
        assertThat(S3Objects.plan(100 * MIB, 100 * MIB, 0, 0)).isEmpty();
    }

    @Test
    void anIdenticalFileIsCopiesOnly() {
        long size = 600 * MIB;
        List<Part> parts = S3Objects.plan(size, size, size, 0);
        assertValid(parts, size, size, size, 0, S3Objects.COPY_PART, S3Objects.UPLOAD_PART);
        assertThat(parts).allMatch(p -> p instanceof Copy);
    }

    @Test
    void plansAreValidForEverySizeAndChangeTried() {
        // small part sizes so that the edges (parts at the minimum, ranges split in several) are all reached
        long min = MIN;
        long copyPart = 3 * min;
        long uploadPart = 2 * min;
        Random random = new Random(42);
        for (int i = 0; i < 20_000; i++) {
            long base = 1 + random.nextLong(40 * min);
            long result = Math.max(1, base + random.nextLong(4 * min) - 2 * min);
            long common = Math.min(base, result);
            long prefix = random.nextInt(4) == 0 ? common : random.nextLong(common + 1);
            long suffix = prefix == common ? 0 : random.nextLong(common - prefix + 1);
            List<Part> parts = S3Objects.plan(base, result, prefix, suffix, min, copyPart, uploadPart);
            if (!parts.isEmpty()) {
                assertValid(parts, base, result, prefix, suffix, copyPart, uploadPart);
            } else {
                assertThat(Math.max(prefix >= min ? prefix : 0, 0) + suffix).as("empty plan for %d %d %d %d", base, result, prefix, suffix)
                        .isLessThan(min + min);
            }
        }
    }

    @Test
    void prefixAndSuffixThatDoNotFitAreRefused() {
        assertThatThrownBy(() -> S3Objects.plan(10 * MIB, 10 * MIB, 6 * MIB, 5 * MIB)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void sharedBytesAreFoundAcrossBufferBoundaries(@TempDir Path dir) throws IOException {
        byte[] bytes = new byte[3 * (1 << 20) + 12345];
        new Random(7).nextBytes(bytes);
        Path a = Files.write(dir.resolve("a"), bytes);
        byte[] changed = bytes.clone();
        int at = (1 << 20) + 17; // just past the first buffer
        changed[at] ^= 1;
        changed[changed.length - (2 << 20) - 5] ^= 1; // inside the suffix's second buffer from the end
        Path b = Files.write(dir.resolve("b"), changed);
        try (FileChannel x = FileChannel.open(a, StandardOpenOption.READ); FileChannel y = FileChannel.open(b, StandardOpenOption.READ)) {
            long prefix = S3Objects.commonPrefix(x, y);
            assertThat(prefix).isEqualTo(at);
            assertThat(S3Objects.commonSuffix(x, y, prefix)).isEqualTo((2 << 20) + 4);
        }
        try (FileChannel x = FileChannel.open(a, StandardOpenOption.READ); FileChannel y = FileChannel.open(a, StandardOpenOption.READ)) {
            assertThat(S3Objects.commonPrefix(x, y)).as("a file and itself").isEqualTo(bytes.length);
            assertThat(S3Objects.commonSuffix(x, y, bytes.length)).isZero();
        }
        byte[] longer = new byte[bytes.length + 100];
        System.arraycopy(bytes, 0, longer, 100, bytes.length); // 100 bytes put in front: the same tail, nothing in front
        Path c = Files.write(dir.resolve("c"), longer);
        try (FileChannel x = FileChannel.open(a, StandardOpenOption.READ); FileChannel y = FileChannel.open(c, StandardOpenOption.READ)) {
            long prefix = S3Objects.commonPrefix(x, y);
            assertThat(S3Objects.commonSuffix(x, y, prefix)).isEqualTo(bytes.length - prefix);
        }
    }

    @Test
    void onlyTheSchemesOfFlinksS3PluginAreServedAndACustomProviderIsLeftToThePlugin() {
        List<String> said = new ArrayList<>();
        assertThat(S3Objects.open(URI.create("hdfs://nn/x"), new Configuration(), said::add)).isEmpty();
        Configuration custom = new Configuration();
        custom.setString("fs.s3a.aws.credentials.provider", "com.example.Provider");
        assertThat(S3Objects.open(URI.create("s3://b/x"), custom, said::add)).isEmpty();
        assertThat(said).singleElement().asString().contains("credentials provider");
        Configuration plain = new Configuration();
        plain.setString("s3.endpoint", "127.0.0.1:9000");
        plain.setString("s3.connection.ssl.enabled", "false");
        try (S3Objects s3 = S3Objects.open(URI.create("s3://b/x"), plain, said::add).orElseThrow()) {
            assertThat(s3.toString()).contains("http://127.0.0.1:9000");
        }
    }

    @Test
    void keysAndBucketsOfLocations() {
        URI u = URI.create("s3://bucket/savepoints/savepoint-1/abc");
        assertThat(S3Objects.bucket(u)).isEqualTo("bucket");
        assertThat(S3Objects.key(u)).isEqualTo("savepoints/savepoint-1/abc");
    }
}
