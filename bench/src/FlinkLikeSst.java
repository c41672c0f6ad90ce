package statelab.bench;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import org.rocksdb.BlockBasedTableConfig;
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
        long z = i * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        ByteBuffer b = ByteBuffer.allocate(8).putLong(z);
        byte[] v = new byte[bytes];
        System.arraycopy(b.array(), 8 - bytes, v, 0, bytes);
        return v;
    }

    /**
     * Writes {@code entries} entries; returns the file size.
     *
     * @param letters word length; 26^letters must be at least {@code entries}
     */
    public static long write(Path file, long entries, int letters, int valueBytes, CompressionType compression,
                             int formatVersion) throws RocksDBException {
        int keyGroups = 128;
        try (Options options = new Options()
                        .setCompressionType(compression)
                        .setTableFormatConfig(new BlockBasedTableConfig().setFormatVersion(formatVersion).setBlockSize(4096));
             EnvOptions env = new EnvOptions();
             SstFileWriter writer = new SstFileWriter(env, options)) {
            writer.open(file.toString());
            for (long i = 0; i < entries; i++) {
                int keyGroup = (int) (i * keyGroups / entries);
                writer.put(key(keyGroup, word(i, letters)), value(i, valueBytes));
            }
            writer.finish();
        }
        return file.toFile().length();
    }
}
