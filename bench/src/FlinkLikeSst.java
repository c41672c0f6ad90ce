package statelab.bench;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.function.LongConsumer;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ChecksumType;
import org.rocksdb.CompressionType;
import org.rocksdb.EnvOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileWriter;

/**
 * Writes SST files shaped like the ones Flink's RocksDB backend flushes for a String-keyed ValueState in the
 * default namespace: key = [key group, 1 byte][the word as Flink's StringSerializer writes it][namespace 0x00],
 * value = 4 or 8 bytes. Key groups rise with the entry index and words rise within them, so keys arrive in
 * RocksDB's order and the file streams out in constant memory, whatever its size.
 */
public final class FlinkLikeSst {
    static {
        RocksDB.loadLibrary();
    }

    private FlinkLikeSst() {}

    /** Fixed-length lower-case word number {@code i} (base 26). */
    public static String word(long i, int letters) {
        char[] c = new char[letters];
        long n = i;
        for (int p = letters - 1; p >= 0; p--) {
            c[p] = (char) ('a' + n % 26);
            n /= 26;
        }
        return new String(c);
    }

    /** Flink's RocksDB key for {@code word} in key group {@code keyGroup}, VoidNamespace. */
    public static byte[] key(int keyGroup, String word) {
        byte[] k = new byte[1 + 1 + word.length() + 1];
        k[0] = (byte) keyGroup;
        k[1] = (byte) (word.length() + 1); // StringValue: length + 1, as one byte while below 128
        for (int i = 0; i < word.length(); i++) {
            k[2 + i] = (byte) word.charAt(i);
        }
        k[k.length - 1] = 0; // VoidNamespaceSerializer
        return k;
    }

    /** A value that does not compress: SplitMix64 of the index, {@code bytes} long (4 or 8). */
    public static byte[] value(long i, int bytes) {
        ByteBuffer b = ByteBuffer.allocate(8).putLong(splitMix64(i));
        byte[] v = new byte[bytes];
        System.arraycopy(b.array(), 8 - bytes, v, 0, bytes);
        return v;
    }

    private static long splitMix64(long i) {
        long z = i * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /**
     * Writes {@code entries} entries; returns the file size.
     *
     * @param letters word length; 26^letters must be at least {@code entries}
     */
    public static long write(Path file, long entries, int letters, int valueBytes, CompressionType compression,
                             int formatVersion) throws RocksDBException {
        return write(file, entries, letters, valueBytes, compression, formatVersion, 0, n -> {});
    }

    /**
     * As {@link #write(Path, long, int, int, CompressionType, int)}, calling {@code progress} with the number of
     * entries written every {@code progressEvery} entries (never when it is 0). Each entry is built in two reused
     * direct buffers, byte for byte what {@link #key} and {@link #value} return, so that gigabytes of entries
     * neither allocate per entry nor copy arrays through JNI.
     */
    public static long write(Path file, long entries, int letters, int valueBytes, CompressionType compression,
                             int formatVersion, long progressEvery, LongConsumer progress) throws RocksDBException {
        return write(file, entries, letters, valueBytes, new Table(compression, formatVersion, null, false), progressEvery, progress);
    }

    /**
     * How the table is written: compression, {@code format_version}, checksum type (null: RocksDB's default) and
     * whether it carries a full Bloom filter (10 bits per key). Flink's defaults: Snappy, 5, default, none.
     */
    public record Table(CompressionType compression, int formatVersion, ChecksumType checksum, boolean bloom) {
        public static final Table FLINK_DEFAULT = new Table(CompressionType.SNAPPY_COMPRESSION, 5, null, false);

        BlockBasedTableConfig config() {
            BlockBasedTableConfig c = new BlockBasedTableConfig().setFormatVersion(formatVersion).setBlockSize(4096);
            if (checksum != null) {
                c.setChecksumType(checksum);
            }
            if (bloom) {
                c.setFilterPolicy(new BloomFilter(10));
            }
            return c;
        }
    }

    /** As the other {@code write}s, with the table written as {@code table} says. */
    public static long write(Path file, long entries, int letters, int valueBytes, Table table, long progressEvery,
                             LongConsumer progress) throws RocksDBException {
        if (letters < 1 || letters > 126 || Math.pow(26, letters) < entries) {
            throw new IllegalArgumentException(entries + " entries need more distinct words than " + letters + " letters give");
        }
        if (valueBytes < 1 || valueBytes > 8) {
            throw new IllegalArgumentException("values are 1 to 8 bytes, got " + valueBytes);
        }
        int keyGroups = 128;
        ByteBuffer key = ByteBuffer.allocateDirect(3 + letters);
        ByteBuffer value = ByteBuffer.allocateDirect(valueBytes);
        try (Options options = new Options()
                        .setCompressionType(table.compression())
                        .setTableFormatConfig(table.config());
             EnvOptions env = new EnvOptions();
             SstFileWriter writer = new SstFileWriter(env, options)) {
            writer.open(file.toString());
            for (long i = 0; i < entries; i++) {
                key.clear(); // absolute puts below: the whole buffer is the key
                key.put(0, (byte) (i * keyGroups / entries)).put(1, (byte) (letters + 1));
                long n = i;
                for (int p = 1 + letters; p >= 2; p--) {
                    key.put(p, (byte) ('a' + n % 26));
                    n /= 26;
                }
                key.put(2 + letters, (byte) 0);
                value.clear();
                putValue(value, i, valueBytes);
                value.flip();
                writer.put(key, value);
                if (progressEvery > 0 && (i + 1) % progressEvery == 0) {
                    progress.accept(i + 1);
                }
            }
            writer.finish();
        }
        return file.toFile().length();
    }

    /** {@link #value}'s bytes, the low {@code bytes} bytes of the big-endian SplitMix64, without allocating. */
    private static void putValue(ByteBuffer into, long i, int bytes) {
        long z = splitMix64(i);
        for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8) {
            into.put((byte) (z >>> shift));
        }
    }
}
