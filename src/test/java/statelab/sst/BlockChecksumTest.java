package statelab.sst;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import net.openhft.hashing.LongHashFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import statelab.sst.format.BadTable;
import statelab.sst.format.BlockChecksum;
import statelab.sst.format.StoredBlock;

/**
 * The block checksum (streamed, and {@link StoredBlock#checksum} for a whole block) gives what RocksDB's definition
 * gives, computed independently with zero-allocation-hashing and the JDK's CRC-32C, for every supported type: every content length from 0 to 2100 (XXH3's 0..16, 17..128, 129..240 paths and its stripe and
 * 1 KiB block boundaries on the long path; XXH64's 32-byte stripes) and a few lengths of several MiB, fed whole,
 * byte by byte and in random pieces. The streaming XXH3 and XXH64 are also held to zero-allocation-hashing's
 * full 64 bits.
 */
class BlockChecksumTest {
    static final long SEED = 20250301L;
    static final int[] TYPES = {StoredBlock.NO_CHECKSUM, StoredBlock.CRC32C, StoredBlock.XXHASH64, StoredBlock.XXH3};
    static final int SHORT_LENGTHS = 2100;

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {StoredBlock.NO_CHECKSUM, StoredBlock.CRC32C, StoredBlock.XXHASH64, StoredBlock.XXH3})
    void everyLengthUpTo2100MatchesTheWholeBlockChecksumHoweverFed(int type) {
        Random random = new Random(SEED + type);
        byte[] block = new byte[SHORT_LENGTHS + 1];
        random.nextBytes(block);
        for (int length = 0; length <= SHORT_LENGTHS; length++) {
            byte compression = (byte) random.nextInt(8);
            block[length] = compression;
            int expected = reference(type, block, length);
            assertThat(StoredBlock.checksum(type, block, 0, length)).as("length %d StoredBlock", length).isEqualTo(expected);
            assertThat(whole(type, block, length, compression)).as("length %d whole", length).isEqualTo(expected);
            assertThat(byteByByte(type, block, length, compression)).as("length %d byte by byte", length).isEqualTo(expected);
            assertThat(inPieces(type, block, length, compression, random, 1 + random.nextInt(300)))
                    .as("length %d in pieces", length).isEqualTo(expected);
        }
    }

    @ParameterizedTest(name = "type {0}")
    @ValueSource(ints = {StoredBlock.CRC32C, StoredBlock.XXHASH64, StoredBlock.XXH3})
    void bigBlocksMatchHoweverFed(int type) {
        Random random = new Random(SEED - type);
        for (int length : new int[] {(1 << 20) + 1, (1 << 20) + 4093, 3 * (1 << 20) + 1023, 5 * (1 << 20) + 64}) {
            byte[] block = new byte[length + 1];
            random.nextBytes(block);
            block[length] = (byte) StoredBlock.SNAPPY;
            int expected = reference(type, block, length);
            assertThat(StoredBlock.checksum(type, block, 0, length)).as("length %d StoredBlock", length).isEqualTo(expected);
            assertThat(whole(type, block, length, (byte) StoredBlock.SNAPPY)).as("%d whole", length).isEqualTo(expected);
            assertThat(byteByByte(type, block, length, (byte) StoredBlock.SNAPPY)).as("%d byte by byte", length).isEqualTo(expected);
            for (int maxPiece : new int[] {7, 300, 70_000}) {
                assertThat(inPieces(type, block, length, (byte) StoredBlock.SNAPPY, random, maxPiece))
                        .as("%d in pieces of up to %d", length, maxPiece).isEqualTo(expected);
            }
        }
    }

    @Test
    void streamingXxh3AndXxh64MatchTheirFull64Bits() {
        Random random = new Random(SEED);
        byte[] data = new byte[4 * 1024 + 200];
        random.nextBytes(data);
        for (int length = 0; length <= data.length; length++) {
            BlockChecksum.Xxh3 xxh3 = new BlockChecksum.Xxh3();
            BlockChecksum.Xxh64 xxh64 = new BlockChecksum.Xxh64();
            for (int at = 0; at < length; ) {
                int n = Math.min(length - at, 1 + random.nextInt(100));
                xxh3.update(data, at, n);
                xxh64.update(data, at, n);
                at += n;
            }
            assertThat(xxh3.digest()).as("XXH3 of %d bytes", length).isEqualTo(LongHashFunction.xx3().hashBytes(data, 0, length));
            assertThat(xxh64.digest()).as("XXH64 of %d bytes", length).isEqualTo(LongHashFunction.xx().hashBytes(data, 0, length));
        }
    }

    @Test
    void digestLeavesTheHashToGoOn() {
        byte[] data = new byte[5000];
        new Random(SEED).nextBytes(data);
        BlockChecksum.Xxh3 xxh3 = new BlockChecksum.Xxh3();
        BlockChecksum.Xxh64 xxh64 = new BlockChecksum.Xxh64();
        for (int at = 0; at < data.length; at += 97) {
            int n = Math.min(97, data.length - at);
            xxh3.update(data, at, n);
            xxh64.update(data, at, n);
            assertThat(xxh3.digest()).isEqualTo(LongHashFunction.xx3().hashBytes(data, 0, at + n));
            assertThat(xxh64.digest()).isEqualTo(LongHashFunction.xx().hashBytes(data, 0, at + n));
        }
    }

    @Test
    void unsupportedTypesAreRefusedAndAChecksumEndsOnce() {
        assertThatThrownBy(() -> BlockChecksum.of(StoredBlock.XXHASH32)).isInstanceOf(BadTable.class).hasMessageContaining("xxHash32");
        assertThatThrownBy(() -> BlockChecksum.of(9)).isInstanceOf(BadTable.class).hasMessageContaining("unknown(9)");
        BlockChecksum checksum = BlockChecksum.of(StoredBlock.XXH3);
        checksum.finish((byte) 0);
        assertThatThrownBy(() -> checksum.finish((byte) 0)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> checksum.update(new byte[1], 0, 1)).isInstanceOf(IllegalStateException.class);
    }

    /**
     * The trailer checksum by RocksDB's definition (table/format.cc ComputeBuiltinChecksum and
     * ModifyChecksumForLastByte), computed with zero-allocation-hashing and the JDK's CRC-32C: independent of
     * {@link BlockChecksum}, which the product uses for whole and streamed blocks alike.
     */
    static int reference(int type, byte[] block, int length) {
        return switch (type) {
            case StoredBlock.NO_CHECKSUM -> 0;
            case StoredBlock.CRC32C -> {
                java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
                crc.update(block, 0, length + 1);
                int c = (int) crc.getValue();
                yield ((c >>> 15) | (c << 17)) + 0xa282ead8;
            }
            case StoredBlock.XXHASH64 -> (int) LongHashFunction.xx().hashBytes(block, 0, length + 1);
            case StoredBlock.XXH3 -> (int) LongHashFunction.xx3().hashBytes(block, 0, length) ^ (block[length] & 0xff) * 0x6b9083d9;
            default -> throw new IllegalArgumentException("type " + type);
        };
    }

    static int whole(int type, byte[] block, int length, byte compression) {
        BlockChecksum checksum = BlockChecksum.of(type);
        checksum.update(block, 0, length);
        return checksum.finish(compression);
    }

    static int byteByByte(int type, byte[] block, int length, byte compression) {
        BlockChecksum checksum = BlockChecksum.of(type);
        for (int i = 0; i < length; i++) {
            checksum.update(block, i, 1);
        }
        return checksum.finish(compression);
    }

    /** Random pieces of 0..maxPiece bytes (empty ones included). */
    static int inPieces(int type, byte[] block, int length, byte compression, Random random, int maxPiece) {
        BlockChecksum checksum = BlockChecksum.of(type);
        for (int at = 0; at < length; ) {
            int n = Math.min(length - at, random.nextInt(maxPiece + 1));
            checksum.update(block, at, n);
            at += n;
        }
        return checksum.finish(compression);
    }
}
