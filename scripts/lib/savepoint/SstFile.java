//DEPS org.rocksdb:rocksdbjni:10.10.1
package statelab.savepoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileReader;
import org.rocksdb.TableProperties;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.sst.format.BadTable;
import statelab.sst.format.BlockBasedTable;

/**
 * What a RocksDB block-based table (SST) file says about itself: its footer (magic number and
 * {@code format_version}, read directly, so that a file that is not an SST is refused before RocksDB opens it)
 * and its table properties (entry counts, compression, column family).
 */
public final class SstFile {
    /** kBlockBasedTableMagicNumber, the last 8 bytes (little-endian) of every block-based table. */
    static final long BLOCK_BASED_MAGIC = 0x88e241b785f4cff7L;
    /** kLegacyBlockBasedTableMagicNumber, written by format_version 0 (LevelDB-compatible) tables. */
    static final long LEGACY_MAGIC = 0xdb4775248b80fb57L;
    /** format_version + magic number at the end of a version ≥ 1 footer. */
    private static final int FOOTER_TAIL = 12;

    private SstFile() {}

    /**
     * @param entries all entries the table holds, of every type (RocksDB's num_entries)
     * @param formatVersion the block-based table format_version from the footer
     */
    public record Info(long size, long entries, long deletions, long mergeOperands, long rangeDeletions, int formatVersion,
                       String compression, String columnFamily, long dataBlocks, long rawKeyBytes, long rawValueBytes) {
        /** Entries that hold a value to change: neither tombstones nor merge operands. */
        public long values() {
            return entries - deletions - mergeOperands;
        }

        /** Entries a plain SstFileReader iterator does not return as they are: tombstones and merge operands. */
        public long hiddenEntries() {
            return deletions + mergeOperands + rangeDeletions;
        }
    }

    /** {@link #inspect(Path)} for an SST of a savepoint, a file of its own or inlined in {@code _metadata}. */
    public static Info inspect(SavepointLayout.StateFile f) {
        if (!f.inline()) {
            return inspect(f.path());
        }
        Path tmp = null;
        try {
            tmp = Files.createTempFile("statelab-sst-", ".sst");
            Files.write(tmp, f.inlineBytes());
            return inspect(tmp);
        } catch (IOException e) {
            throw Failure.of(ExitCode.CANNOT_WRITE, "cannot write %s to a temporary file: %s", f.describe(), e.getMessage());
        } finally {
            if (tmp != null) {
                tmp.toFile().delete();
            }
        }
    }

    /** Checks the footer and reads the table properties; {@link ExitCode#BAD_STATE} for anything but an SST. */
    public static Info inspect(Path file) {
        long size;
        int formatVersion;
        try (FileChannel ch = statelab.cli.PartialFile.open(file)) {
            size = ch.size();
            if (size < FOOTER_TAIL) {
                throw Failure.of(ExitCode.BAD_STATE, "%s is not a RocksDB SST file: %d bytes, too short for a table footer", file, size);
            }
            ByteBuffer tail = ByteBuffer.allocate(FOOTER_TAIL).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(tail, size - FOOTER_TAIL);
            tail.flip();
            formatVersion = tail.getInt();
            long magic = tail.getLong();
            if (magic == LEGACY_MAGIC) {
                formatVersion = 0;
            } else if (magic != BLOCK_BASED_MAGIC) {
                throw Failure.of(ExitCode.BAD_STATE, "%s is not a RocksDB SST file (no block-based table magic number at its end%s)",
                        file, describeText(file));
            }
        } catch (IOException e) {
            throw Failure.of(ExitCode.NOT_FOUND, "cannot read %s: %s", file, e.getMessage());
        }
        try (FileChannel ch = statelab.cli.PartialFile.open(file)) {
            // the tables Flink writes are read without RocksDB: no native library to load (a few hundred ms a run)
            BlockBasedTable t = BlockBasedTable.readProperties(ch);
            return new Info(size, t.number("rocksdb.num.entries", 0), t.number("rocksdb.deleted.keys", 0),
                    t.number("rocksdb.merge.operands", 0), t.number("rocksdb.num.range-deletions", 0), formatVersion,
                    text(t, "rocksdb.compression"), text(t, "rocksdb.column.family.name"),
                    t.number(BlockBasedTable.PROP_NUM_DATA_BLOCKS, 0), t.number("rocksdb.raw.key.size", 0),
                    t.number(BlockBasedTable.PROP_RAW_VALUE_SIZE, 0));
        } catch (BadTable | IOException e) {
            // outside what the block engine reads (format_version 6, a partitioned index, ...): ask RocksDB
        }
        RocksDbNative.load();
        try (Options options = new Options(); SstFileReader reader = new SstFileReader(options)) {
            reader.open(file.toString());
            TableProperties p = reader.getTableProperties();
            return new Info(size, p.getNumEntries(), p.getNumDeletions(), p.getNumMergeOperands(), p.getNumRangeDeletions(),
                    formatVersion, p.getCompressionName(), new String(p.getColumnFamilyName(), StandardCharsets.UTF_8),
                    p.getNumDataBlocks(), p.getRawKeySize(), p.getRawValueSize());
        } catch (RocksDBException e) {
            throw Failure.of(ExitCode.BAD_STATE, "RocksDB cannot open %s as an SST file: %s", file, e.getMessage());
        }
    }

    private static String text(BlockBasedTable t, String property) {
        byte[] v = t.value(property);
        return v == null ? "" : new String(v, StandardCharsets.UTF_8);
    }

    /** ", it looks like text: '...'" when the file starts with printable text (an OPTIONS or CURRENT file). */
    private static String describeText(Path file) {
        try (var in = Files.newInputStream(file)) {
            byte[] head = in.readNBytes(64);
            String s = new String(head, StandardCharsets.UTF_8);
            if (!s.isEmpty() && s.chars().allMatch(c -> c == '\n' || c == '\r' || c == '\t' || (c >= 32 && c < 127))) {
                String first = s.strip().split("\\R", 2)[0];
                return "; it is text starting with '" + (first.length() > 40 ? first.substring(0, 40) + "..." : first) + "'";
            }
        } catch (IOException ignored) {
            // the magic-number check already said what matters
        }
        return "";
    }
}
