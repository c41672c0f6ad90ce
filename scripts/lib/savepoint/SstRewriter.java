package statelab.savepoint;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.LongConsumer;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.CompressionType;
import org.rocksdb.DirectSlice;
import org.rocksdb.EnvOptions;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileReader;
import org.rocksdb.SstFileReaderIterator;
import org.rocksdb.SstFileWriter;
import statelab.cli.ExitCode;
import statelab.cli.Failure;

/**
 * The seed's state manipulation, streaming: copies every entry of an SST, in order, into a new SST, replacing
 * the values of the last N entries (in key order). One entry at a time passes through reused buffers, so memory
 * stays flat whatever the file size.
 *
 * <p>The new file is written the way Flink's RocksDB (frocksdbjni 8.10) reads it: the original's
 * {@code format_version} (read from its footer; rocksdbjni's own default is newer than 8.10 understands) and
 * the original's compression, 4 KiB blocks (RocksDB's and Flink's default).
 *
 * <p>RocksDB's {@link SstFileReader} iterator returns live values only. An SST that also holds deletion
 * tombstones, merge operands (Flink's ListState is built on merges) or shadowed older versions of a key would
 * lose them in the copy, so such files are refused, naming what would be lost.
 */
public final class SstRewriter {
    static {
        RocksDbNative.load(); // SstFile reads properties without it; the entry-by-entry rewrite needs it
    }

    static final int BLOCK_SIZE = 4096;
    private static final int PROGRESS_EVERY = 1 << 16;

    private SstRewriter() {}

    public record Change(byte[] key, byte[] oldValue, byte[] newValue) {}

    public record Plan(SstFile.Info info, List<Change> changes) {
        byte[] firstChangedKey() {
            return changes.get(0).key();
        }
    }

    public record Result(long entries, long changed, long bytesBefore, long bytesAfter) {}

    /**
     * The last {@code lastN} entries of {@code sst} (all of them when it holds fewer: the plan says how many) and their
     * new value; refuses files whose copy would lose entries, and an SST with no entries.
     */
    public static Plan plan(Path sst, int lastN, byte[] replacement) {
        if (lastN < 1) {
            throw Failure.of(ExitCode.USAGE, "the number of entries to change must be at least 1, got %d", lastN);
        }
        SstFile.Info info = SstFile.inspect(sst);
        refuseHiddenEntries(sst, info);
        if (info.entries() == 0) {
            throw Failure.of(ExitCode.BAD_STATE, "%s holds no entries: nothing to change", sst);
        }
        lastN = (int) Math.min(lastN, info.entries());
        List<Change> changes = new ArrayList<>(lastN);
        try (Options options = new Options();
             SstFileReader reader = new SstFileReader(options);
             ReadOptions read = new ReadOptions().setFillCache(false)) {
            reader.open(sst.toString());
            try (SstFileReaderIterator it = reader.newIterator(read)) {
                it.seekToLast();
                while (it.isValid() && changes.size() < lastN) {
                    changes.add(new Change(it.key(), it.value(), replacement.clone()));
                    it.prev();
                }
                it.status();
            }
        } catch (RocksDBException e) {
            throw Failure.of(ExitCode.BAD_STATE, "cannot read %s: %s", sst, e.getMessage());
        }
        Collections.reverse(changes);
        return new Plan(info, changes);
    }

    private static void refuseHiddenEntries(Path sst, SstFile.Info info) {
        if (info.hiddenEntries() > 0) {
            throw Failure.of(ExitCode.BAD_STATE,
                    "%s holds %d deletion tombstone(s), %d merge operand(s) and %d range deletion(s); a copy through "
                            + "RocksDB's SstFileReader would silently drop them, so it is not rewritten",
                    sst, info.deletions(), info.mergeOperands(), info.rangeDeletions());
        }
    }

    /**
     * Writes {@code target}: every entry of {@code source}, in order, with the planned changes. {@code target} must
     * not exist; the caller owns its cleanup on failure and moves it into place.
     */
    public static Result rewrite(Path source, Path target, Plan plan, LongConsumer progress) {
        SstFile.Info info = plan.info();
        byte[] threshold = plan.firstChangedKey();
        long entries = 0;
        long changed = 0;
        boolean pastThreshold = false;
        try (Options options = writerOptions(info);
             EnvOptions env = new EnvOptions();
             Options readerOptions = new Options();
             SstFileReader reader = new SstFileReader(readerOptions);
             ReadOptions read = new ReadOptions().setFillCache(false).setReadaheadSize(4 << 20);
             SstFileWriter writer = new SstFileWriter(env, options);
             EntryBuffer key = new EntryBuffer();
             EntryBuffer value = new EntryBuffer();
             EntryBuffer replacement = new EntryBuffer()) {
            reader.open(source.toString());
            writer.open(target.toString());
            DirectSlice newValue = replacement.set(plan.changes().get(0).newValue());
            try (SstFileReaderIterator it = reader.newIterator(read)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    key.read(it::key);
                    if (!pastThreshold && key.compareTo(threshold) >= 0) {
                        pastThreshold = true;
                    }
                    if (pastThreshold) {
                        writer.put(key.slice(), newValue);
                        changed++;
                    } else {
                        value.read(it::value);
                        writer.put(key.slice(), value.slice());
                    }
                    if (++entries % PROGRESS_EVERY == 0) {
                        progress.accept(entries);
                    }
                }
                it.status();
            }
            if (entries != info.entries()) {
                throw Failure.of(ExitCode.BAD_STATE,
                        "%s holds %d entries but only %d are live values (older versions of keys); a copy would drop %d, "
                                + "so it is not rewritten", source, info.entries(), entries, info.entries() - entries);
            }
            writer.finish();
        } catch (RocksDBException e) {
            throw Failure.of(ExitCode.BAD_STATE, "rewriting %s failed: %s", source, e.getMessage());
        }
        progress.accept(entries);
        return new Result(entries, changed, info.size(), target.toFile().length());
    }

    static Options writerOptions(SstFile.Info info) {
        BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setFormatVersion(info.formatVersion())
                .setBlockSize(BLOCK_SIZE);
        return new Options().setTableFormatConfig(table).setCompressionType(compression(info.compression()));
    }

    static CompressionType compression(String propertyName) {
        return switch (propertyName) {
            case "NoCompression" -> CompressionType.NO_COMPRESSION;
            case "Snappy" -> CompressionType.SNAPPY_COMPRESSION;
            case "Zlib" -> CompressionType.ZLIB_COMPRESSION;
            case "BZip2" -> CompressionType.BZLIB2_COMPRESSION;
            case "LZ4" -> CompressionType.LZ4_COMPRESSION;
            case "LZ4HC" -> CompressionType.LZ4HC_COMPRESSION;
            case "Xpress" -> CompressionType.XPRESS_COMPRESSION;
            case "ZSTD", "ZSTDNotFinal" -> CompressionType.ZSTD_COMPRESSION;
            default -> throw Failure.of(ExitCode.BAD_STATE, "unknown compression '%s' in the SST's properties", propertyName);
        };
    }

    private interface Reader {
        int read(ByteBuffer into);
    }

    /**
     * One key or value on its way from the iterator to the writer, in reused buffers. The iterator copies into a
     * heap buffer and the writer reads a {@link DirectSlice} over a direct one whose native slice only changes
     * length, and only when it changes: five JNI calls per entry in all (isValid, next, key, value, put). Passing
     * direct ByteBuffers both ways instead makes rocksdbjni look up each buffer's address and capacity through JNI,
     * eight more calls per entry (bench/swap-sst/README.md has the numbers).
     */
    private static final class EntryBuffer implements AutoCloseable {
        private ByteBuffer heap = ByteBuffer.allocate(1 << 12);
        private ByteBuffer direct = ByteBuffer.allocateDirect(1 << 12);
        private DirectSlice slice = new DirectSlice(direct, direct.capacity());
        /** The bytes held, and the native slice's length. */
        private int length = direct.capacity();

        /** Reads the iterator's current key or value, growing the buffers when the entry does not fit. */
        void read(Reader reader) {
            heap.clear();
            int n = reader.read(heap);
            if (n > heap.capacity()) {
                heap = ByteBuffer.allocate(Integer.highestOneBit(n) << 1);
                reader.read(heap);
            }
            copy(heap.array(), n);
        }

        /** Holds {@code bytes}; returns the slice for the writer. */
        DirectSlice set(byte[] bytes) {
            heap = ByteBuffer.wrap(bytes.clone());
            copy(heap.array(), bytes.length);
            return slice;
        }

        private void copy(byte[] bytes, int n) {
            if (n > direct.capacity()) {
                slice.close();
                direct = ByteBuffer.allocateDirect(Math.max(n, Integer.highestOneBit(n) << 1));
                slice = new DirectSlice(direct, direct.capacity());
                length = direct.capacity();
            }
            direct.put(0, bytes, 0, n);
            if (n != length) { // a JNI call; keys and values of one state mostly have one length
                slice.setLength(n);
                length = n;
            }
        }

        /** The bytes for the writer; valid until the next read. Holding {@code direct} keeps the slice's memory alive. */
        DirectSlice slice() {
            return slice;
        }

        /** RocksDB's BytewiseComparator (unsigned lexicographic) of the held bytes with {@code other}. */
        int compareTo(byte[] other) {
            return Arrays.compareUnsigned(heap.array(), 0, length, other, 0, other.length);
        }

        @Override
        public void close() {
            slice.close();
        }
    }
}
