package statelab.sst;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.xerial.snappy.Snappy;
import statelab.sst.format.BadTable;
import statelab.sst.format.SnappyStream;

/**
 * Raw Snappy streams decoded and encoded in bounded memory, checked against snappy-java (Google's C++ snappy,
 * RocksDB's): streams snappy-java compressed — empty, one byte, 100 bytes, a 64 KiB fragment and one byte either
 * side, several MiB; incompressible and compressible — decode to their input from a range in the middle of a file,
 * whatever the read sizes, chunk size and window; a truncated, corrupt or over-reaching stream is a
 * {@link BadTable}. The encoder's output, fed in random pieces, is byte for byte snappy-java's whole-input
 * compression and decodes back both ways.
 */
class SnappyStreamTest {
    static final long SEED = 20250302L;
    static final int[] SIZES = {0, 1, 100, 65535, 65536, 65537, 3 * (1 << 20) + 7};
    static final byte[] BEFORE = "junk before the stream".getBytes(StandardCharsets.US_ASCII);
    static final byte[] AFTER = "junk after".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path dir;

    static Stream<Arguments> inputs() {
        return IntStream.of(SIZES).boxed().flatMap(size -> Stream.of(
                Arguments.of("random", size, random(size, size)),
                Arguments.of("compressible", size, compressible(size, size))));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("inputs")
    void decodesSnappyJavaStreamsWithAnyReadSizeChunkAndWindow(String kind, int size, byte[] input) throws IOException {
        byte[] compressed = Snappy.compress(input);
        Path file = storeInMiddle(compressed);
        try (FileChannel ch = FileChannel.open(file)) {
            long offset = BEFORE.length;
            assertThat(SnappyStream.uncompressedLength(ch, offset, compressed.length)).isEqualTo(size);
            Random random = new Random(SEED + size);
            for (int readSize : new int[] {1, 7, 4096, 1 << 20, -1}) {
                for (int[] windowAndChunk : new int[][] {{SnappyStream.DEFAULT_WINDOW, SnappyStream.DEFAULT_CHUNK}, {1 << 16, 4096}}) {
                    SnappyStream.Decoder decoder = new SnappyStream.Decoder(ch, offset, compressed.length, windowAndChunk[0], windowAndChunk[1]);
                    assertThat(decoder.uncompressedLength()).isEqualTo(size);
                    assertThat(readAll(decoder, readSize, random))
                            .as("read size %d, window %d, chunk %d", readSize, windowAndChunk[0], windowAndChunk[1])
                            .isEqualTo(input);
                    assertThat(decoder.position()).isEqualTo(size);
                    assertThat(decoder.read()).isEqualTo(-1);
                }
            }
            SnappyStream.Decoder bytes = new SnappyStream.Decoder(ch, offset, compressed.length);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int b; (b = bytes.read()) >= 0; ) {
                out.write(b);
            }
            assertThat(out.toByteArray()).as("read()").isEqualTo(input);
        }
    }

    @Test
    void everyTruncationIsBadTable() throws IOException {
        byte[] compressed = Snappy.compress(compressible(5000, 1));
        for (int cut = 0; cut < compressed.length; cut++) {
            byte[] prefix = Arrays.copyOf(compressed, cut);
            assertThatThrownBy(() -> decode(prefix)).as("cut at %d", cut).isInstanceOf(BadTable.class)
                    .hasMessageMatching("Snappy stream at offset \\d+ (ends inside its length preamble|of \\d+ bytes ends after)[^\\n]*");
        }
    }

    @Test
    void aFileShorterThanTheRangeIsBadTable() throws IOException {
        byte[] compressed = Snappy.compress(random(1000, 2));
        Path file = dir.resolve("short");
        Files.write(file, compressed);
        try (FileChannel ch = FileChannel.open(file)) {
            assertThatThrownBy(() -> readAll(new SnappyStream.Decoder(ch, 0, compressed.length + 10), 4096, null))
                    .isInstanceOf(BadTable.class).hasMessageContaining("unexpected end of file");
        }
    }

    @Test
    void aLengthThatDoesNotMatchTheElementsIsBadTable() throws IOException {
        byte[] input = compressible(3000, 3);
        byte[] compressed = Snappy.compress(input);
        byte[] body = Arrays.copyOfRange(compressed, varintSize(input.length), compressed.length);
        assertThatThrownBy(() -> decode(concat(varint(input.length + 1), body)))
                .isInstanceOf(BadTable.class).hasMessageContaining("ends after 3000 of the 3001 bytes it declares");
        assertThatThrownBy(() -> decode(concat(varint(input.length - 1), body)))
                .isInstanceOf(BadTable.class).hasMessageContaining("produces more than the 2999 bytes it declares");
        assertThatThrownBy(() -> decode(concat(compressed, new byte[] {0})))
                .isInstanceOf(BadTable.class).hasMessageContaining("1 bytes after the 3000 it declares are complete");
        assertThatThrownBy(() -> decode(new byte[] {(byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0}))
                .isInstanceOf(BadTable.class).hasMessageContaining("length preamble longer than 5 bytes");
        assertThatThrownBy(() -> decode(new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f}))
                .isInstanceOf(BadTable.class).hasMessageContaining("more than a varint32 holds");
    }

    @Test
    void badCopiesAreBadTable() {
        // literal "abcd", then a copy-2 of 4 bytes at the given offset
        byte[] zeroOffset = {8, 3 << 2, 'a', 'b', 'c', 'd', 2 | 3 << 2, 0, 0};
        assertThatThrownBy(() -> decode(zeroOffset)).isInstanceOf(BadTable.class).hasMessageContaining("has a copy at output byte 4 with offset 0");
        byte[] beforeStart = {8, 3 << 2, 'a', 'b', 'c', 'd', 2 | 3 << 2, 5, 0};
        assertThatThrownBy(() -> decode(beforeStart)).isInstanceOf(BadTable.class)
                .hasMessageContaining("copy at output byte 4 that reaches 5 bytes back, before the stream's start");
        byte[] fine = {8, 3 << 2, 'a', 'b', 'c', 'd', 2 | 3 << 2, 4, 0};
        assertThat(decode(fine)).isEqualTo("abcdabcd".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    void aCopyBeyondTheWindowIsBadTableAndWithinItIsFine() throws IOException {
        int distance = 70_000;
        byte[] literal = random(distance, 4);
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        s.writeBytes(varint(distance + 64));
        s.write(62 << 2); // literal with 3 length bytes
        s.write((distance - 1) & 0xff);
        s.write((distance - 1) >>> 8 & 0xff);
        s.write((distance - 1) >>> 16);
        s.writeBytes(literal);
        s.write(3 | 63 << 2); // copy-4 of 64 bytes
        s.writeBytes(new byte[] {(byte) distance, (byte) (distance >>> 8), (byte) (distance >>> 16), 0});
        byte[] stream = s.toByteArray();
        byte[] expected = concat(literal, Arrays.copyOf(literal, 64));
        assertThat(Snappy.uncompress(stream)).as("snappy-java agrees").isEqualTo(expected);
        assertThat(decode(stream)).as("default window").isEqualTo(expected);

        Path file = storeInMiddle(stream);
        try (FileChannel ch = FileChannel.open(file)) {
            assertThatThrownBy(() -> readAll(new SnappyStream.Decoder(ch, BEFORE.length, stream.length, 1 << 16, 4096), 4096, null))
                    .isInstanceOf(BadTable.class)
                    .hasMessage("Snappy stream at offset " + BEFORE.length + " has a copy at output byte 70000 that reaches 70000"
                            + " bytes back, beyond the 65536-byte window");
        }
    }

    static Stream<Arguments> encoderInputs() {
        return Stream.of(0, 1, 100, 65535, 65536, 65537, 200_000, 3 * (1 << 20) + 7).flatMap(size -> Stream.of(
                Arguments.of("random", size, random(size, size + 1)),
                Arguments.of("compressible", size, compressible(size, size + 1))));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("encoderInputs")
    void encoderFedInPiecesMakesSnappyJavasStreamThatDecodesBothWays(String kind, int size, byte[] input) throws IOException {
        byte[] whole = Snappy.compress(input);
        Random random = new Random(SEED - size);
        for (int maxPiece : new int[] {1, 1000, 200_000}) {
            if (maxPiece == 1 && size > 200_000) {
                continue;
            }
            ByteArrayOutputStream sink = new ByteArrayOutputStream();
            SnappyStream.Encoder encoder = new SnappyStream.Encoder(size, sink::write);
            for (int at = 0; at < size; ) {
                int n = Math.min(size - at, random.nextInt(maxPiece + 1));
                encoder.write(input, at, n);
                at += n;
            }
            encoder.close();
            byte[] stream = sink.toByteArray();
            assertThat(encoder.compressedLength()).isEqualTo(stream.length);
            assertThat(Snappy.isValidCompressedBuffer(stream)).isTrue();
            assertThat(Snappy.uncompress(stream)).as("pieces of up to %d", maxPiece).isEqualTo(input);
            assertThat(stream).as("same as snappy-java's whole-input stream").isEqualTo(whole);
            assertThat(decode(stream)).isEqualTo(input);
        }
    }

    @Test
    void decoderPipesIntoEncoder() throws IOException {
        byte[] input = compressible(5 * (1 << 20) + 3, 5);
        byte[] compressed = Snappy.compress(input);
        Path file = storeInMiddle(compressed);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (FileChannel ch = FileChannel.open(file)) {
            SnappyStream.Decoder decoder = new SnappyStream.Decoder(ch, BEFORE.length, compressed.length);
            try (SnappyStream.Encoder encoder = new SnappyStream.Encoder(decoder.uncompressedLength(), sink::write)) {
                decoder.transferTo(encoder);
            }
        }
        assertThat(sink.toByteArray()).isEqualTo(compressed);
    }

    @Test
    void encoderHoldsToTheDeclaredLength() throws IOException {
        SnappyStream.Encoder over = new SnappyStream.Encoder(10, (b, off, len) -> {});
        over.write(new byte[8], 0, 8);
        assertThatThrownBy(() -> over.write(new byte[3], 0, 3)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("declared 10 bytes");
        SnappyStream.Encoder shortOne = new SnappyStream.Encoder(10, (b, off, len) -> {});
        shortOne.write(new byte[9], 0, 9);
        assertThatThrownBy(shortOne::close).isInstanceOf(IllegalStateException.class)
                .hasMessage("Snappy stream declared 10 bytes but got 9");
    }

    // --- helpers ---

    /** Decodes a stream held in memory through a file, with a small chunk so refills happen. */
    byte[] decode(byte[] stream) {
        try {
            Path file = storeInMiddle(stream);
            try (FileChannel ch = FileChannel.open(file)) {
                return readAll(new SnappyStream.Decoder(ch, BEFORE.length, stream.length, SnappyStream.DEFAULT_WINDOW, 4096),
                        1000, null);
            }
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    Path storeInMiddle(byte[] stream) throws IOException {
        Path file = Files.createTempFile(dir, "stream", ".bin");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(concat(concat(BEFORE, stream), AFTER)));
        }
        return file;
    }

    /** Reads to the end in reads of {@code readSize} bytes, or of random sizes (1..5000) when it is negative. */
    static byte[] readAll(SnappyStream.Decoder decoder, int readSize, Random random) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[readSize > 0 ? readSize : 5000];
        while (true) {
            int want = readSize > 0 ? readSize : 1 + random.nextInt(buf.length);
            int n = decoder.read(buf, 0, want);
            if (n < 0) {
                return out.toByteArray();
            }
            assertThat(n).isBetween(1, want);
            out.write(buf, 0, n);
        }
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Key/value-like records: shared prefixes, counters, some random bytes, runs of zeros. */
    static byte[] compressible(int size, long seed) {
        Random random = new Random(seed);
        ByteArrayOutputStream out = new ByteArrayOutputStream(size + 64);
        for (int record = 0; out.size() < size; record++) {
            out.writeBytes(("user-key-" + (record * 7919 % 100_000) + "/window-").getBytes(StandardCharsets.US_ASCII));
            byte[] noise = new byte[random.nextInt(12)];
            random.nextBytes(noise);
            out.writeBytes(noise);
            out.writeBytes(new byte[random.nextInt(40)]);
        }
        return Arrays.copyOf(out.toByteArray(), size);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    static byte[] varint(long v) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while (v >= 0x80) {
            out.write((int) (v | 0x80) & 0xff);
            v >>>= 7;
        }
        out.write((int) v);
        return out.toByteArray();
    }

    static int varintSize(long v) {
        return varint(v).length;
    }
}
