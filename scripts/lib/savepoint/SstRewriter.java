package statelab.savepoint;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.LongConsumer;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.CompressionType;
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
 * the values of the last N entries (in key order). One entry at a time passes through two reused direct
 * buffers, so memory stays flat whatever the file size.
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

    /** The last {@code lastN} entries of {@code sst} and their new value; refuses files whose copy would lose entries. */
    public static Plan plan(Path sst, int lastN, byte[] replacement) {
        if (lastN < 1) {
            throw Failure.of(ExitCode.USAGE, "the number of entries to change must be at least 1, got %d", lastN);
        }
        SstFile.Info info = SstFile.inspect(sst);
        refuseHiddenEntries(sst, info);
        if (lastN > info.entries()) {
            throw Failure.of(ExitCode.USAGE, "asked to change the last %d entries, but %s holds only %d", lastN, sst, info.entries());
        }
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
        ByteBuffer key = ByteBuffer.allocateDirect(1 << 12);
        ByteBuffer value = ByteBuffer.allocateDirect(1 << 12);
        ByteBuffer replacement = ByteBuffer.allocateDirect(plan.changes().get(0).newValue().length);
        replacement.put(plan.changes().get(0).newValue()).flip();
        long entries = 0;
        long changed = 0;
        boolean pastThreshold = false;
        try (Options options = writerOptions(info);
             EnvOptions env = new EnvOptions();
             Options readerOptions = new Options();
             SstFileReader reader = new SstFileReader(readerOptions);
             ReadOptions read = new ReadOptions().setFillCache(false).setReadaheadSize(4 << 20);
             SstFileWriter writer = new SstFileWriter(env, options)) {
            reader.open(source.toString());
            writer.open(target.toString());
            try (SstFileReaderIterator it = reader.newIterator(read)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    key = read(key, it::key);
                    if (!pastThreshold && compare(key, threshold) >= 0) {
                        pastThreshold = true;
                    }
                    if (pastThreshold) {
                        writer.put(key, replacement.duplicate());
                        changed++;
                    } else {
                        value = read(value, it::value);
                        writer.put(key, value);
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

    /** Reads the iterator's current key or value into {@code buf}, growing it when the entry does not fit. */
    private static ByteBuffer read(ByteBuffer buf, Reader reader) {
        buf.clear();
        int length = reader.read(buf);
        if (length > buf.capacity()) {
            buf = ByteBuffer.allocateDirect(Integer.highestOneBit(length) << 1);
            reader.read(buf);
        }
        return buf;
    }

    /** Unsigned lexicographic comparison, RocksDB's BytewiseComparator, of a buffer's remaining bytes with an array. */
    static int compare(ByteBuffer buf, byte[] other) {
        int n = Math.min(buf.remaining(), other.length);
        for (int i = 0; i < n; i++) {
            int c = Byte.toUnsignedInt(buf.get(buf.position() + i)) - Byte.toUnsignedInt(other[i]);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(buf.remaining(), other.length);
    }

}
