package statelab.sst.format;

import java.util.Arrays;
import java.util.List;

/**
 * A kBinarySearch index block kept as its bytes: one entry per data block (separator key, block handle — full, or
 * with value delta encoding (format_version 4+) a size delta from the previous handle), restart points, restart
 * count. Reading it checks every entry and that the data blocks lie back to back from offset 0, but keeps only
 * the position of each entry (4 bytes a block, where decoded entries took ~130): a 1 GiB table's 431,808
 * entries cost 1.7 MB besides the block itself, and a handle is decoded when asked for.
 *
 * <p>{@link #encodeWith} writes the block anew with new handles from one entry on: the entries before it are the
 * same bytes (a memory copy), the ones after keep their keys, shared prefixes and restart points.
 */
public final class IndexBlock implements TableIndex {
    private final byte[] b;
    private final boolean valueDeltaEncoded;
    private final int[] restarts;
    private final int entriesEnd;
    private final int[] starts;
    private final int size;
    private final long dataEnd;
    /** The first entry {@link #starts} covers: 0, or for a block parsed from its end, the first of the last ones. */
    private final int base;

    private IndexBlock(byte[] b, boolean valueDeltaEncoded, int[] restarts, int entriesEnd, int[] starts, int size, long dataEnd,
                       int base) {
        this.b = b;
        this.valueDeltaEncoded = valueDeltaEncoded;
        this.restarts = restarts;
        this.entriesEnd = entriesEnd;
        this.starts = starts;
        this.size = size;
        this.dataEnd = dataEnd;
        this.base = base;
    }

    /**
     * Parses the index block's {@code contents}; {@link BadTable} for anything malformed, for index values that are
     * more than a handle (kBinarySearchWithFirstKey) and for data blocks that do not lie back to back from 0.
     */
    public static IndexBlock parse(byte[] contents, boolean valueDeltaEncoded, String what) {
        BlockEntries.Layout l = BlockEntries.layout(contents, contents.length, what);
        int[] restarts = l.restarts();
        int[] starts = new int[Math.max(16, restarts.length)];
        int ri = 0;
        IndexEntryReader entries = new IndexEntryReader(valueDeltaEncoded, true, what);
        ByteCursor in = new ByteCursor(contents, 0, l.entriesEnd());
        while (in.hasMore()) {
            int n = entries.count();
            if (n == starts.length) {
                starts = Arrays.copyOf(starts, n * 2);
            }
            starts[n] = in.pos;
            if (ri < restarts.length && restarts[ri] == in.pos) {
                ri++;
            }
            entries.next(in);
        }
        int n = entries.count();
        if (ri != restarts.length && !(n == 0 && restarts.length == 1)) {
            throw new BadTable(what + ": " + restarts.length + " restart offsets, " + ri + " at entry starts");
        }
        return new IndexBlock(contents, valueDeltaEncoded, restarts, l.entriesEnd(), starts, n, entries.dataEnd(), 0);
    }

    /**
     * Parses only the end of the block: from the restart point before its last {@code keep} entries on (a
     * restart point's entry has its whole key and handle), so that the cost hardly grows with the table.
     * {@code totalBlocks} (the table's num_data_blocks) numbers the entries. Those entries are checked as
     * {@link #parse} checks them, and to lie back to back; the ones before are not read.
     */
    public static IndexBlock parseEnd(byte[] contents, boolean valueDeltaEncoded, int keep, long totalBlocks, String what) {
        BlockEntries.Layout l = BlockEntries.layout(contents, contents.length, what);
        int[] restarts = l.restarts();
        if (totalBlocks < 0 || totalBlocks > Integer.MAX_VALUE) {
            return parse(contents, valueDeltaEncoded, what);
        }
        int ri = Math.max(0, restarts.length - keep - 1);
        while (true) {
            int[] starts = new int[16];
            IndexEntryReader entries = new IndexEntryReader(valueDeltaEncoded, false, what);
            ByteCursor in = new ByteCursor(contents, Math.min(restarts[ri], l.entriesEnd()), l.entriesEnd());
            while (in.hasMore()) {
                if (entries.count() == starts.length) {
                    starts = Arrays.copyOf(starts, starts.length * 2);
                }
                starts[entries.count()] = in.pos;
                entries.next(in);
            }
            int n = entries.count();
            if (n > keep || ri == 0) {
                int base = (int) totalBlocks - n;
                if (base < 0 || (ri == 0 && base != 0)) {
                    throw new BadTable("properties say " + totalBlocks + " data blocks, the index lists " + (ri == 0 ? n : "more"));
                }
                return new IndexBlock(contents, valueDeltaEncoded, restarts, l.entriesEnd(), starts, (int) totalBlocks,
                        entries.dataEnd(), base);
            }
            ri = Math.max(0, ri - (keep + 1 - n));
        }
    }

    @Override
    public boolean holds(int i) {
        return i >= base && i < size;
    }

    /** How many entries, i.e. data blocks. */
    @Override
    public int size() {
        return size;
    }

    /** The end of the last data block (0 for none): where the meta blocks begin. */
    @Override
    public long dataEnd() {
        return dataEnd;
    }

    /** The uncompressed block. */
    public byte[] contents() {
        return b;
    }

    /** The handle of data block {@code i}, decoded from the last full handle at or before it. */
    @Override
    public BlockHandle handle(int i) {
        if (!holds(i)) {
            throw new IndexOutOfBoundsException("data block " + i + " of " + size + (base > 0 ? ", parsed from " + base : ""));
        }
        int j = i;
        while (j > base && valueDeltaEncoded && shared(j) != 0) {
            j--;
        }
        BlockHandle h = null;
        for (int k = j; k <= i; k++) {
            h = decodeHandle(k, h);
        }
        return h;
    }

    private int shared(int i) {
        return new ByteCursor(b, starts[i - base], entriesEnd).varint32();
    }

    private BlockHandle decodeHandle(int i, BlockHandle prev) {
        ByteCursor in = new ByteCursor(b, starts[i - base], entriesEnd);
        int shared = in.varint32();
        int nonShared = in.varint32();
        if (!valueDeltaEncoded) {
            in.varint32();
        }
        in.skip(nonShared);
        if (valueDeltaEncoded && shared != 0) {
            return new BlockHandle(prev.end(), prev.size() + in.varsigned64());
        }
        return BlockHandle.decode(in);
    }

    /**
     * The block with the handles of entries {@code first..size-1} replaced by {@code handles} (in that order): the
     * bytes before entry {@code first} copied, the later entries re-encoded with their keys and new values, the
     * restart array rebuilt. A delta-encoded value stays a delta (the blocks stay back to back). An index parsed
     * from its end ({@link #parseEnd}) can be written anew from the second entry it holds on: the bytes before are
     * copied unread.
     */
    public ByteSink encodeWith(int first, List<BlockHandle> handles, ByteSink out) {
        if (handles.size() != size - first) {
            throw new IllegalArgumentException(handles.size() + " handles for " + (size - first) + " entries");
        }
        if (Math.max(0, first - 1) < base) { // the entry before the first rewritten one gives its handle
            throw new IllegalStateException("entries " + first + ".. cannot be written anew from an index parsed from entry " + base);
        }
        out.clear();
        int from = first < size ? starts[first - base] : entriesEnd;
        out.put(b, 0, from);
        int ri = 0;
        int[] newRestarts = new int[restarts.length];
        while (ri < restarts.length && restarts[ri] < from) {
            newRestarts[ri] = restarts[ri];
            ri++;
        }
        BlockHandle prev = first > 0 ? handle(first - 1) : null;
        ByteSink value = new ByteSink(24);
        for (int i = first; i < size; i++) {
            if (ri < restarts.length && restarts[ri] == starts[i - base]) {
                newRestarts[ri++] = out.size();
            }
            ByteCursor in = new ByteCursor(b, starts[i - base], entriesEnd);
            int shared = in.varint32();
            int nonShared = in.varint32();
            if (!valueDeltaEncoded) {
                in.varint32();
            }
            int keyAt = in.pos;
            BlockHandle h = handles.get(i - first);
            value.clear();
            if (valueDeltaEncoded && shared != 0) {
                if (prev == null || h.offset() != prev.end()) {
                    throw new BadTable("index entry " + i + ": blocks are not contiguous, a size delta cannot encode them");
                }
                value.varsigned64(h.size() - prev.size());
            } else {
                h.encodeTo(value);
            }
            out.varint64(shared);
            out.varint64(nonShared);
            if (!valueDeltaEncoded) {
                out.varint64(value.size());
            }
            out.put(b, keyAt, nonShared);
            out.put(value.array(), 0, value.size());
            prev = h;
        }
        for (int r : newRestarts) {
            out.fixed32(r);
        }
        out.fixed32(newRestarts.length);
        return out;
    }
}
