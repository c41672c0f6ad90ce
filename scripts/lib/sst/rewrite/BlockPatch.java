package statelab.sst.rewrite;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.PartialFile;
import statelab.sst.format.BlockBasedTable;
import statelab.sst.format.BlockEntries;
import statelab.sst.format.BlockHandle;
import statelab.sst.format.ByteSink;
import statelab.sst.format.StoredBlock;

/**
 * swap-sst's change made without moving a byte: the same-size tamper. Every data block holding a changed
 * value is re-encoded to exactly its old stored length (a Snappy stream can be made longer than the shortest
 * one: {@link statelab.sst.format.SnappyExact}), so every block handle, the index, the filter, the metaindex
 * and the footer stay valid as they are, and the file keeps its size and its unique ID. What changes is a
 * list of {@link Region}s, old and new bytes of the same length: the changed data blocks and, when the new
 * values are longer or shorter than the old ones, the properties block (raw value size), re-encoded to its
 * old length too.
 *
 * <p>With {@code keepChecksums} (swap-sst {@code --mode corrupt}) the changed data blocks keep the checksum
 * they had: the values change, and RocksDB's block checksum, verified on every read, no longer matches.
 *
 * <p>The regions are applied to a copy ({@link #writeCopy}) or to the file itself ({@link InPlacePatch}).
 */
public final class BlockPatch {
    private BlockPatch() {}

    /** Bytes {@code [offset, offset + before.length)} of the table, and what they become. */
    public record Region(long offset, byte[] before, byte[] after, String what) {
        public Region {
            if (before.length != after.length) {
                throw new IllegalArgumentException(what + ": a region keeps its length");
            }
        }
    }

    /**
     * The same-size change of one table: {@code regions} in file order, {@code changes} in key order,
     * {@code entriesSkipped} the tombstones (and merge operands) passed over while counting.
     */
    public record Plan(long bytes, int formatVersion, String checksum, int dataBlocks, List<Region> regions,
                       long entriesSkipped, List<BlockRewriter.Change> changes, boolean checksumsKept) {
        /** How many bytes of the file differ between before and after (at most the regions' length). */
        public long bytesChanged() {
            long n = 0;
            for (Region r : regions) {
                for (int i = 0; i < r.before().length; i++) {
                    if (r.before()[i] != r.after()[i]) {
                        n++;
                    }
                }
            }
            return n;
        }
    }

    /**
     * Plans the change of the last {@code o.lastN()} value entries of {@code sst} (padding and sync options are
     * not used here). {@link Failure}: {@link ExitCode#NOT_FOUND} for a missing file, {@link ExitCode#BAD_STATE}
     * when the table is corrupt, outside what the block engine keeps faithful, or when a changed block cannot
     * keep its length (one line saying which block and by how much).
     */
    public static Plan plan(Path sst, BlockRewriter.Options o, boolean keepChecksums) throws IOException {
        return BlockRewriter.read(sst, o, in -> plan(in, o, keepChecksums));
    }

    private static Plan plan(FileChannel in, BlockRewriter.Options o, boolean keepChecksums) throws IOException {
        // nothing moves: the index is only read, from its end, for the handles of the last blocks
        BlockRewriter.Located at = BlockRewriter.locate(in, o, BlockRewriter.Reading.INDEX_END);
        BlockBasedTable table = at.table();
        int checksum = table.footer.checksumType();
        List<BlockRewriter.Change> changes = at.changes();
        long[] skipped = {at.skipped()};
        long[] rawValueDelta = {at.rawValueDelta()};
        List<BlockRewriter.TouchedBlock> touched = at.touched();
        List<Region> regions = new ArrayList<>();
        ByteSink contents = new ByteSink(8192);
        for (BlockRewriter.TouchedBlock b : touched) {
            if (!b.changed()) {
                continue;
            }
            String what = "data block " + b.index();
            BlockEntries.encode(b.entries(), contents);
            byte[] after = StoredBlock.encodeTo(contents.array(), contents.size(), b.decoded().compression(), checksum,
                    b.stored().length, what);
            if (keepChecksums) {
                int n = after.length;
                System.arraycopy(b.stored(), n - 4, after, n - 4, 4);
            }
            if (!Arrays.equals(after, b.stored())) {
                regions.add(new Region(table.index.handle(b.index()).offset(), b.stored(), after, what));
            }
        }
        if (rawValueDelta[0] != 0) {
            regions.add(properties(in, table, rawValueDelta[0]));
        }
        return new Plan(table.fileSize, table.footer.formatVersion(), StoredBlock.checksumName(checksum), table.index.size(),
                List.copyOf(regions), skipped[0], List.copyOf(changes), keepChecksums);
    }

    /** The properties block with the raw value size moved by {@code delta}, re-encoded to its old length. */
    private static Region properties(FileChannel in, BlockBasedTable t, long delta) throws IOException {
        BlockHandle h = t.metaBlocks.get(BlockBasedTable.PROPERTIES);
        byte[] before = StoredBlock.readStored(in, h);
        ByteSink contents = new ByteSink(4096);
        BlockEntries.encode(t.propertiesWith(Map.of(BlockBasedTable.PROP_RAW_VALUE_SIZE,
                t.number(BlockBasedTable.PROP_RAW_VALUE_SIZE, 0) + delta)), contents);
        byte[] after = StoredBlock.encodeTo(contents.array(), contents.size(), t.propertiesBlock.compression(),
                t.footer.checksumType(), before.length, "the properties block (raw value size " + (delta > 0 ? "+" : "") + delta + ")");
        return new Region(h.offset(), before, after, "properties block");
    }

    /**
     * Writes {@code target}, which must not exist, as a copy of {@code source} (one kernel copy) with the plan's
     * regions applied, and syncs it if asked. On failure nothing is left at {@code target}.
     */
    public static void writeCopy(Path source, Path target, Plan plan, boolean sync) throws IOException {
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw Failure.of(ExitCode.CONFLICT, "%s exists; remove it first", target);
        }
        boolean done = false;
        try (FileChannel in = PartialFile.open(source);
             FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            if (in.size() != plan.bytes()) {
                throw Failure.of(ExitCode.CONFLICT, "%s changed since it was read (%d bytes, %d then)", source, in.size(), plan.bytes());
            }
            BlockRewriter.transfer(in, out, 0, plan.bytes(), 0);
            for (Region r : plan.regions()) {
                BlockRewriter.write(out, ByteBuffer.wrap(r.after()), r.offset());
            }
            if (sync) {
                out.force(true);
            }
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(target);
            }
        }
    }
}
