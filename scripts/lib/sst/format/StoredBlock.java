//DEPS org.xerial.snappy:snappy-java:1.1.10.7
package statelab.sst.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import org.xerial.snappy.Snappy;

/**
 * A block as it lies in the file: contents (compressed or not), then the trailer: compression type (1 byte)
 * and a 32-bit checksum of contents + type byte (table/format.cc, ComputeBuiltinChecksum). The checksum does
 * not depend on the block's offset for format_version ≤ 5, which is what lets untouched blocks move as raw bytes.
 *
 * <p>Checksums: kCRC32c (masked as in util/crc32c.h), kxxHash64 (low 32 bits), kXXH3 (low 32 bits of XXH3_64
 * of the contents, xor the type byte times 0x6b9083d9). kxxHash (XXH32) is refused: no XXH32 at hand and no
 * RocksDB default ever used it. Compression: none and Snappy (raw Snappy, no size prefix, for every
 * format_version); anything else is refused for the blocks that must be decoded, and copied as is otherwise.
 */
public final class StoredBlock {
    static {
        SnappyNative.prepare(); // before Snappy loads its library
    }

    public static final int NO_COMPRESSION = 0;
    public static final int SNAPPY = 1;

    public static final int NO_CHECKSUM = 0;
    public static final int CRC32C = 1;
    public static final int XXHASH32 = 2;
    public static final int XXHASH64 = 3;
    public static final int XXH3 = 4;


    private StoredBlock() {}

    /** Uncompressed contents of a block and the compression it was stored with. */
    public record Decoded(byte[] contents, int compression) {}

    public static String checksumName(int type) {
        return switch (type) {
            case NO_CHECKSUM -> "none";
            case CRC32C -> "crc32c";
            case XXHASH32 -> "xxHash32";
            case XXHASH64 -> "xxHash64";
            case XXH3 -> "XXH3";
            default -> "unknown(" + type + ")";
        };
    }

    public static String compressionName(int type) {
        return switch (type) {
            case 0 -> "none";
            case 1 -> "Snappy";
            case 2 -> "Zlib";
            case 3 -> "BZip2";
            case 4 -> "LZ4";
            case 5 -> "LZ4HC";
            case 6 -> "Xpress";
            case 7 -> "ZSTD";
            default -> "unknown(" + type + ")";
        };
    }

    public static void requireSupportedChecksum(int type) {
        if (type != NO_CHECKSUM && type != CRC32C && type != XXHASH64 && type != XXH3) {
            throw new BadTable("block checksum type " + checksumName(type) + " is not supported (crc32c, xxHash64 and XXH3 are)");
        }
    }

    /** The stored bytes of a block: contents and trailer. */
    public static byte[] readStored(FileChannel ch, BlockHandle h) throws IOException {
        long len = h.size() + BlockHandle.TRAILER;
        if (len > Integer.MAX_VALUE - 16) {
            throw new BadTable("block at " + h.offset() + " is too large (" + h.size() + " bytes)");
        }
        byte[] b = new byte[(int) len];
        TableFooter.readFully(ch, ByteBuffer.wrap(b), h.offset());
        return b;
    }

    /** Reads, verifies and decompresses the block at {@code h}. */
    public static Decoded read(FileChannel ch, BlockHandle h, int checksumType, String what) throws IOException {
        return decode(readStored(ch, h), h, checksumType, what);
    }

    /** Verifies and decompresses a block's stored bytes. */
    public static Decoded decode(byte[] stored, BlockHandle h, int checksumType, String what) {
        int n = (int) h.size();
        verify(stored, 0, n, checksumType, h.offset(), what);
        int compression = stored[n] & 0xff;
        return new Decoded(uncompress(stored, n, compression, what + " at offset " + h.offset()), compression);
    }

    /** Checks the trailer of the block whose stored bytes start at {@code buf[at]}. */
    public static void verify(byte[] buf, int at, int contentLength, int checksumType, long offset, String what) {
        if (checksumType == NO_CHECKSUM) {
            return;
        }
        int expected = ByteCursor.fixed32(buf, at + contentLength + 1);
        int actual = checksum(checksumType, buf, at, contentLength);
        if (expected != actual) {
            throw new BadTable(String.format("%s at offset %d: %s checksum mismatch (stored %08x, computed %08x)",
                    what, offset, checksumName(checksumType), expected, actual));
        }
    }

    /**
     * The trailer checksum of {@code contentLength} bytes at {@code buf[at]} and the type byte after them, by the
     * same {@link BlockChecksum} a streamed block uses (the tests hold it to zero-allocation-hashing). Whole blocks
     * went through zero-allocation-hashing before: in a fresh JVM on C1, as swap-sst runs, its XXH3 of an 8.5 MiB
     * index block took 67-85 ms, BlockChecksum's 36-39 ms.
     */
    public static int checksum(int type, byte[] buf, int at, int contentLength) {
        BlockChecksum c = BlockChecksum.of(type);
        c.update(buf, at, contentLength);
        return c.finish(buf[at + contentLength]);
    }

    private static byte[] uncompress(byte[] stored, int n, int compression, String where) {
        try {
            return switch (compression) {
                case NO_COMPRESSION -> java.util.Arrays.copyOf(stored, n);
                case SNAPPY -> {
                    int len = Snappy.uncompressedLength(stored, 0, n);
                    byte[] out = new byte[len];
                    int got = Snappy.uncompress(stored, 0, n, out, 0);
                    if (got != len) {
                        throw new BadTable(where + ": Snappy gave " + got + " bytes, expected " + len);
                    }
                    yield out;
                }
                default -> throw new BadTable(where + " is compressed with " + compressionName(compression)
                        + "; only blocks without compression or with Snappy can be re-encoded");
            };
        } catch (IOException e) {
            throw new BadTable(where + ": corrupt Snappy data (" + e.getMessage() + ")");
        }
    }

    /**
     * Stores {@code contents} with the given compression (the one the block had: a re-encoded block keeps its
     * stored form, so the table's compression counters stay true) and a fresh trailer.
     */
    public static byte[] encode(byte[] contents, int length, int compression, int checksumType) {
        byte[] out;
        int n;
        try {
            switch (compression) {
                case NO_COMPRESSION -> {
                    out = new byte[length + BlockHandle.TRAILER];
                    System.arraycopy(contents, 0, out, 0, length);
                    n = length;
                }
                case SNAPPY -> {
                    byte[] tmp = new byte[Snappy.maxCompressedLength(length) + BlockHandle.TRAILER];
                    n = Snappy.compress(contents, 0, length, tmp, 0);
                    out = java.util.Arrays.copyOf(tmp, n + BlockHandle.TRAILER);
                }
                default -> throw new BadTable("cannot compress with " + compressionName(compression));
            }
        } catch (IOException e) {
            throw new BadTable("Snappy failed: " + e.getMessage());
        }
        return withTrailer(out, n, compression, checksumType);
    }

    /**
     * Stores {@code contents} as {@link #encode} does, but exactly {@code storedLength} bytes long (trailer
     * included): uncompressed only when the contents have exactly that length, Snappy through
     * {@link SnappyExact}, whose streams can be made longer than the shortest one. {@link BadTable} (one line,
     * saying by how much) when that length cannot be hit.
     */
    public static byte[] encodeTo(byte[] contents, int length, int compression, int checksumType, int storedLength, String what) {
        int n = storedLength - BlockHandle.TRAILER;
        byte[] out = new byte[storedLength];
        switch (compression) {
            case NO_COMPRESSION -> {
                if (length != n) {
                    throw new BadTable(String.format("%s is stored uncompressed and its contents would be %d bytes, %+d against "
                            + "the %d it has: a value as long as the old one keeps it", what, length, length - n, n));
                }
                System.arraycopy(contents, 0, out, 0, length);
            }
            case SNAPPY -> {
                byte[] snappy;
                try {
                    snappy = SnappyExact.encode(contents, 0, length, n);
                } catch (BadTable e) {
                    throw new BadTable(what + ": " + e.getMessage());
                }
                System.arraycopy(snappy, 0, out, 0, n);
            }
            default -> throw new BadTable("cannot compress with " + compressionName(compression));
        }
        return withTrailer(out, n, compression, checksumType);
    }

    /**
     * Encodes and decodes a small block with Snappy and each checksum: what a command that reads tables runs
     * once when the class-data archive is written (see statelab.cli.ClassDataArchive), so that the classes of
     * the checksums and of snappy-java come from the archive afterwards.
     */
    public static void exercise() {
        byte[] contents = new byte[256];
        for (int type : new int[] {CRC32C, XXHASH64, XXH3}) {
            byte[] stored = encode(contents, contents.length, SNAPPY, type);
            decode(stored, new BlockHandle(0, stored.length - BlockHandle.TRAILER), type, "sample block");
        }
    }

    /** Writes the trailer (type byte, checksum of {@code out[0, n]}) after the {@code n} content bytes of {@code out}. */
    private static byte[] withTrailer(byte[] out, int n, int compression, int checksumType) {
        out[n] = (byte) compression;
        int c = checksum(checksumType, out, 0, n);
        out[n + 1] = (byte) c;
        out[n + 2] = (byte) (c >>> 8);
        out[n + 3] = (byte) (c >>> 16);
        out[n + 4] = (byte) (c >>> 24);
        return out;
    }
}
