package statelab.sst;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.rocksdb.CompressionType;
import org.xerial.snappy.Snappy;
import statelab.bench.FlinkLikeSst;
import statelab.sst.format.BadTable;
import statelab.sst.format.BlockBasedTable;
import statelab.sst.format.BlockHandle;
import statelab.sst.format.SnappyExact;
import statelab.sst.format.StoredBlock;

/**
 * Snappy streams of an exact length, checked with snappy-java's decoder (Google's C++ snappy, the one RocksDB
 * uses): for inputs of every shape a block can have — zeros, incompressible bytes, a RocksDB-like data block,
 * text, one byte, several 64 KiB Snappy fragments, 1 MiB — every target from the shortest up 300 bytes (10 for
 * 1 MiB, whose every encode parses it afresh) and random targets up to the longest come out exactly that long,
 * validate and decompress to the input; so do the data blocks of tables RocksDB wrote, at their stored length.
 * Targets outside [shortest, longest] are a {@link BadTable} with one line that says which end and by how much.
 */
class SnappyExactTest {
    static final long SEED = 20240611L;

    @TempDir
    Path dir;

    static Stream<Arguments> inputs() {
        return Stream.of(
                Arguments.of("zeros", new byte[4096], 300, 300),
                Arguments.of("random", random(4096, 1), 300, 300),
                Arguments.of("data block", dataBlock(120), 300, 300),
                Arguments.of("text", text(3000), 300, 300),
                Arguments.of("one byte", new byte[] {42}, 0, 0),
                Arguments.of("fragments", mixed(140 * 1024), 300, 60),
                Arguments.of("1 MiB", mixed(1 << 20), 10, 5));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("inputs")
    void everyTargetFromShortestAndRandomOnesUpToLongest(String name, byte[] input, int contiguous, int randomTargets)
            throws IOException {
        int shortest = SnappyExact.shortest(input, 0, input.length);
        int longest = SnappyExact.longest(input.length);
        assertThat(shortest).as("shortest").isLessThanOrEqualTo(Snappy.compress(input).length);

        for (int target = shortest; target <= Math.min(longest, shortest + contiguous); target++) {
            assertExact(input, 0, input.length, target);
        }
        Random random = new Random(SEED);
        for (int i = 0; i < randomTargets; i++) {
            assertExact(input, 0, input.length, shortest + random.nextInt(longest - shortest + 1));
        }
        assertExact(input, 0, input.length, longest);
    }

    /** The own parse is what leaves room below snappy's length for a block that got a little longer. */
    @Test
    void compressesBetterThanSnappyJavaWhereThereIsSomethingToFind() throws IOException {
        for (byte[] input : new byte[][] {dataBlock(120), text(3000), mixed(140 * 1024)}) {
            assertThat(SnappyExact.shortest(input, 0, input.length)).isLessThan(Snappy.compress(input).length);
        }
    }

    /**
     * The use: every Snappy data block of Flink-like tables written by RocksDB goes back at exactly its stored
     * length (and one more), although snappy-java alone makes some of them longer than RocksDB's snappy did.
     */
    @ParameterizedTest(name = "{0}-byte values")
    @ValueSource(ints = {1, 8})
    void everyDataBlockOfARocksDbTableFitsItsStoredLength(int valueBytes) throws Exception {
        Path sst = dir.resolve("flink-like-" + valueBytes + ".sst");
        FlinkLikeSst.write(sst, 5000, 3, valueBytes, CompressionType.SNAPPY_COMPRESSION, 5);
        List<byte[]> blocks = storedDataBlocks(sst);
        assertThat(blocks).as("data blocks").hasSizeGreaterThan(10);
        for (byte[] stored : blocks) {
            byte[] contents = Snappy.uncompress(stored);
            assertExact(contents, 0, contents.length, stored.length);
            assertExact(contents, 0, contents.length, stored.length + 1);
        }
    }

    /**
     * The compressed contents of a table's data blocks, walked from offset 0 to the data region's end: each
     * block's length is where its Snappy stream has produced its uncompressed length, then the trailer follows.
     */
    static List<byte[]> storedDataBlocks(Path sst) throws IOException {
        long dataEnd;
        try (FileChannel ch = FileChannel.open(sst)) {
            dataEnd = BlockBasedTable.read(ch).dataEnd();
        }
        byte[] file = Files.readAllBytes(sst);
        List<byte[]> blocks = new ArrayList<>();
        for (int at = 0; at < dataEnd; ) {
            int size = snappyStreamLength(file, at);
            assertThat(file[at + size]).as("compression type of the block at %d", at).isEqualTo((byte) StoredBlock.SNAPPY);
            blocks.add(Arrays.copyOfRange(file, at, at + size));
            at += size + BlockHandle.TRAILER;
        }
        return blocks;
    }

    static int snappyStreamLength(byte[] b, int start) {
        int at = start;
        long length = 0;
        for (int shift = 0; ; shift += 7) {
            int v = b[at++] & 0xff;
            length |= (long) (v & 0x7f) << shift;
            if (v < 0x80) {
                break;
            }
        }
        for (long produced = 0; produced < length; ) {
            int tag = b[at++] & 0xff;
            int n;
            switch (tag & 3) {
                case 0 -> {
                    n = (tag >>> 2) + 1;
                    if (n > 60) {
                        int lengthBytes = n - 60;
                        n = 0;
                        for (int k = lengthBytes - 1; k >= 0; k--) {
                            n = n << 8 | (b[at + k] & 0xff);
                        }
                        n++;
                        at += lengthBytes;
                    }
                    at += n;
                }
                case 1 -> {
                    n = 4 + ((tag >>> 2) & 7);
                    at += 1;
                }
                default -> {
                    n = (tag >>> 2) + 1;
                    at += (tag & 3) == 2 ? 2 : 4;
                }
            }
            produced += n;
        }
        return at - start;
    }

    /** Short inputs of repeats at every distance, every length from the shortest to the longest. */
    @Test
    void shortInputsReachEveryLength() throws IOException {
        Random random = new Random(SEED);
        for (int i = 0; i < 40; i++) {
            byte[] input = new byte[1 + random.nextInt(60)];
            for (int at = 0; at < input.length; at++) {
                input[at] = at > 4 && random.nextBoolean() ? input[at - 1 - random.nextInt(at)] : (byte) random.nextInt(3);
            }
            for (int target = SnappyExact.shortest(input, 0, input.length); target <= SnappyExact.longest(input.length); target++) {
                assertExact(input, 0, input.length, target);
            }
        }
    }

    @Test
    void oneByteReachesEveryLengthFromThreeToSeven() throws IOException {
        byte[] one = {42};
        assertThat(SnappyExact.shortest(one, 0, 1)).isEqualTo(3);
        assertThat(SnappyExact.longest(1)).isEqualTo(7);
        for (int target = 3; target <= 7; target++) {
            assertExact(one, 0, 1, target);
        }
    }

    @Test
    void emptyInputIsOnlyItsPreamble() {
        assertThat(SnappyExact.shortest(new byte[0], 0, 0)).isEqualTo(1);
        assertThat(SnappyExact.longest(0)).isEqualTo(1);
        assertThat(SnappyExact.encode(new byte[0], 0, 0, 1)).containsExactly(0);
    }

    @Test
    void encodesASliceOfTheArray() throws IOException {
        byte[] block = dataBlock(80);
        byte[] framed = new byte[block.length + 100];
        new Random(SEED).nextBytes(framed);
        System.arraycopy(block, 0, framed, 37, block.length);
        int shortest = SnappyExact.shortest(framed, 37, block.length);
        assertThat(shortest).isEqualTo(SnappyExact.shortest(block, 0, block.length));
        for (int target = shortest; target < shortest + 50; target++) {
            assertExact(framed, 37, block.length, target);
        }
    }

    @Test
    void theLengthSnappyJavaChoseIsReachable() throws IOException {
        for (byte[] input : new byte[][] {new byte[4096], random(4096, 2), dataBlock(120), text(3000), mixed(300_000)}) {
            int snappyJava = Snappy.compress(input).length;
            assertExact(input, 0, input.length, snappyJava);
        }
    }

    @Test
    void aTargetBelowTheShortestSaysByHowMuch() {
        byte[] block = dataBlock(120);
        int shortest = SnappyExact.shortest(block, 0, block.length);
        assertThatThrownBy(() -> SnappyExact.encode(block, 0, block.length, shortest - 7))
                .isInstanceOf(BadTable.class)
                .hasMessage("%d bytes compress to at least %d bytes with Snappy, 7 more than the %d they must fit",
                        block.length, shortest, shortest - 7)
                .message().doesNotContain("\n");
    }

    @Test
    void aTargetAboveTheLongestSaysByHowMuch() {
        byte[] block = dataBlock(120);
        int longest = SnappyExact.longest(block.length);
        assertThat(longest).isEqualTo(2 + 6 * block.length);
        assertThatThrownBy(() -> SnappyExact.encode(block, 0, block.length, longest + 3))
                .isInstanceOf(BadTable.class)
                .hasMessage("%d bytes make a Snappy stream of at most %d bytes (every byte a literal with 4 length bytes),"
                        + " 3 fewer than the %d it must fill", block.length, longest, longest + 3);
    }

    /** Index blocks can be MiBs: a 4 MiB input at both ends of its range (the timeout only guards against a hang). */
    @Test
    @Timeout(60)
    void fourMebibytesAtBothEnds() throws IOException {
        byte[] input = mixed(4 << 20);
        int shortest = SnappyExact.shortest(input, 0, input.length);
        assertThat(shortest).isLessThanOrEqualTo(Snappy.compress(input).length);
        byte[] low = SnappyExact.encode(input, 0, input.length, shortest + 1);
        byte[] high = SnappyExact.encode(input, 0, input.length, SnappyExact.longest(input.length) - 1);
        assertThat(low).hasSize(shortest + 1);
        assertThat(high).hasSize(SnappyExact.longest(input.length) - 1);
        assertThat(Snappy.uncompress(low)).isEqualTo(input);
        assertThat(Snappy.uncompress(high)).isEqualTo(input);
    }

    static void assertExact(byte[] contents, int offset, int length, int target) throws IOException {
        byte[] stream = SnappyExact.encode(contents, offset, length, target);
        assertThat(stream).as("length for target %d", target).hasSize(target);
        assertThat(Snappy.isValidCompressedBuffer(stream)).as("valid at %d", target).isTrue();
        assertThat(Snappy.uncompress(stream)).as("round trip at %d", target)
                .isEqualTo(Arrays.copyOfRange(contents, offset, offset + length));
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /**
     * A data block as block_builder.cc lays it out: Flink-like keys (2-byte key group, a counter key, a namespace)
     * sorted, prefix-compressed against the previous key with a restart every 16 entries, 8-byte values, then the
     * restart offsets and their count.
     */
    static byte[] dataBlock(int entries) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Random random = new Random(SEED);
        byte[] previous = new byte[0];
        int[] restarts = new int[(entries + 15) / 16];
        for (int i = 0; i < entries; i++) {
            byte[] key = ("\0\u0007user-" + (100_000 + i * 3) + "\u0000VoidNamespace").getBytes(StandardCharsets.ISO_8859_1);
            int shared = 0;
            if (i % 16 == 0) {
                restarts[i / 16] = out.size();
            } else {
                while (shared < key.length && shared < previous.length && key[shared] == previous[shared]) {
                    shared++;
                }
            }
            out.write(shared);
            out.write(key.length - shared);
            out.write(8);
            out.write(key, shared, key.length - shared);
            long value = random.nextInt(4) == 0 ? random.nextLong() : i;
            for (int k = 0; k < 8; k++) {
                out.write((int) (value >>> (8 * k)));
            }
            previous = key;
        }
        for (int r : restarts) {
            fixed32(out, r);
        }
        fixed32(out, restarts.length);
        return out.toByteArray();
    }

    static void fixed32(ByteArrayOutputStream out, int v) {
        for (int k = 0; k < 4; k++) {
            out.write(v >>> (8 * k));
        }
    }

    static byte[] text(int n) {
        String[] words = {"state", "savepoint", "operator", "keyed", "RocksDB", "checkpoint", "the", "of", "a", "Flink",
                "restores", "from", "and", "value", "timer", "window"};
        Random random = new Random(SEED);
        StringBuilder s = new StringBuilder();
        while (s.length() < n) {
            s.append(words[random.nextInt(words.length)]).append(random.nextInt(10) == 0 ? ".\n" : " ");
        }
        return s.substring(0, n).getBytes(StandardCharsets.US_ASCII);
    }

    /** Runs of text, random bytes, data blocks and zeros, so every Snappy element and offset class appears. */
    static byte[] mixed(int n) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(n);
        byte[][] parts = {text(5000), random(3000, 3), dataBlock(200), new byte[2000], random(70_000, 4)};
        for (int i = 0; out.size() < n; i++) {
            byte[] part = parts[i % parts.length];
            out.write(part, 0, Math.min(part.length, n - out.size()));
        }
        return out.toByteArray();
    }
}
