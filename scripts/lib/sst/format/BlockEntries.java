package statelab.sst.format;

import java.util.ArrayList;
import java.util.List;

/**
 * The entry format of data, index, properties and metaindex blocks (table/block_based/block_builder.cc):
 * entries {@code <shared><non_shared>[<value_length>]<key delta><value>}, then the restart offsets (fixed32
 * each) and their count (fixed32, whose top bit flags a data-block hash index, refused here).
 *
 * <p>Decoding keeps each entry's key split (shared prefix length, delta bytes) and whether it starts a restart
 * interval, and encoding writes them back unchanged: a re-encoded block differs from the original only in the
 * values that were replaced, whatever restart interval the writer used.
 */
public final class BlockEntries {
    private BlockEntries() {}

    /** One entry: {@code key} is the full key, rebuilt from the shared prefix and {@code keyDelta}. */
    public record Entry(int shared, byte[] keyDelta, byte[] key, byte[] value, boolean restart) {
        public Entry withValue(byte[] newValue) {
            return new Entry(shared, keyDelta, key, newValue, restart);
        }
    }

    /** An index entry: the block handle is decoded, from a full encoding or a size delta (format_version 4+). */
    public record IndexEntry(int shared, byte[] keyDelta, byte[] key, BlockHandle handle, boolean restart) {}

    private record Layout(int[] restarts, int entriesEnd) {}

    private static Layout layout(byte[] b, int len, String what) {
        if (len < 4) {
            throw new BadTable(what + " is " + len + " bytes, too short for a block");
        }
        int raw = ByteCursor.fixed32(b, len - 4);
        if (raw < 0) {
            throw new BadTable(what + " carries a data-block hash index (data_block_index_type kDataBlockBinaryAndHash), not supported");
        }
        long end = len - 4 - 4L * raw;
        if (raw == 0 || end < 0) {
            throw new BadTable(what + " has a bad restart count " + raw);
        }
        int[] restarts = new int[raw];
        for (int i = 0; i < raw; i++) {
            restarts[i] = ByteCursor.fixed32(b, (int) end + 4 * i);
        }
        return new Layout(restarts, (int) end);
    }

    public static List<Entry> parse(byte[] b, String what) {
        Layout l = layout(b, b.length, what);
        List<Entry> out = new ArrayList<>();
        ByteCursor in = new ByteCursor(b, 0, l.entriesEnd());
        byte[] prev = new byte[0];
        int ri = 0;
        while (in.hasMore()) {
            boolean restart = ri < l.restarts().length && l.restarts()[ri] == in.pos;
            if (restart) {
                ri++;
            }
            int shared = in.varint32();
            int nonShared = in.varint32();
            int valueLength = in.varint32();
            byte[] delta = in.bytes(nonShared);
            byte[] key = join(prev, shared, delta, what);
            out.add(new Entry(shared, delta, key, in.bytes(valueLength), restart));
            prev = key;
        }
        checkRestarts(ri, l, out.isEmpty(), what);
        return out;
    }

    public static List<IndexEntry> parseIndex(byte[] b, boolean valueDeltaEncoded, String what) {
        Layout l = layout(b, b.length, what);
        List<IndexEntry> out = new ArrayList<>();
        ByteCursor in = new ByteCursor(b, 0, l.entriesEnd());
        byte[] prevKey = new byte[0];
        BlockHandle prev = null;
        int ri = 0;
        while (in.hasMore()) {
            boolean restart = ri < l.restarts().length && l.restarts()[ri] == in.pos;
            if (restart) {
                ri++;
            }
            int shared = in.varint32();
            int nonShared = in.varint32();
            int valueLength = valueDeltaEncoded ? -1 : in.varint32();
            byte[] delta = in.bytes(nonShared);
            byte[] key = join(prevKey, shared, delta, what);
            int valueStart = in.pos;
            BlockHandle h;
            if (valueDeltaEncoded && shared != 0) {
                if (prev == null) {
                    throw new BadTable(what + ": delta-encoded handle without a previous one");
                }
                h = new BlockHandle(prev.end(), prev.size() + in.varsigned64());
            } else {
                h = BlockHandle.decode(in);
            }
            if (valueLength >= 0 && in.pos - valueStart != valueLength) {
                throw new BadTable(what + ": index value of " + valueLength + " bytes is more than a block handle "
                        + "(index with first keys, kBinarySearchWithFirstKey?), not supported");
            }
            out.add(new IndexEntry(shared, delta, key, h, restart));
            prevKey = key;
            prev = h;
        }
        checkRestarts(ri, l, out.isEmpty(), what);
        return out;
    }

    private static void checkRestarts(int matched, Layout l, boolean empty, String what) {
        if (matched != l.restarts().length && !(empty && l.restarts().length == 1)) {
            throw new BadTable(what + ": " + l.restarts().length + " restart offsets, " + matched + " at entry starts");
        }
    }

    private static byte[] join(byte[] prev, int shared, byte[] delta, String what) {
        if (shared > prev.length) {
            throw new BadTable(what + ": entry shares " + shared + " bytes with a " + prev.length + "-byte key");
        }
        byte[] key = new byte[shared + delta.length];
        System.arraycopy(prev, 0, key, 0, shared);
        System.arraycopy(delta, 0, key, shared, delta.length);
        return key;
    }

    public static ByteSink encode(List<Entry> entries, ByteSink out) {
        out.clear();
        List<Integer> restarts = new ArrayList<>();
        for (Entry e : entries) {
            if (e.restart()) {
                restarts.add(out.size());
            }
            out.varint64(e.shared());
            out.varint64(e.keyDelta().length);
            out.varint64(e.value().length);
            out.put(e.keyDelta());
            out.put(e.value());
        }
        return finish(out, restarts);
    }

    /** Encodes index entries with new handles; {@code handles.get(i)} replaces entry i's. */
    public static ByteSink encodeIndex(List<IndexEntry> entries, List<BlockHandle> handles, boolean valueDeltaEncoded, ByteSink out) {
        out.clear();
        List<Integer> restarts = new ArrayList<>();
        BlockHandle prev = null;
        ByteSink value = new ByteSink(24);
        for (int i = 0; i < entries.size(); i++) {
            IndexEntry e = entries.get(i);
            BlockHandle h = handles.get(i);
            if (e.restart()) {
                restarts.add(out.size());
            }
            value.clear();
            if (valueDeltaEncoded && e.shared() != 0) {
                if (prev == null || h.offset() != prev.end()) {
                    throw new BadTable("index entry " + i + ": blocks are not contiguous, a size delta cannot encode them");
                }
                value.varsigned64(h.size() - prev.size());
            } else {
                h.encodeTo(value);
            }
            out.varint64(e.shared());
            out.varint64(e.keyDelta().length);
            if (!valueDeltaEncoded) {
                out.varint64(value.size());
            }
            out.put(e.keyDelta());
            out.put(value.array(), 0, value.size());
            prev = h;
        }
        return finish(out, restarts);
    }

    private static ByteSink finish(ByteSink out, List<Integer> restarts) {
        if (restarts.isEmpty()) {
            restarts.add(0);
        }
        for (int r : restarts) {
            out.fixed32(r);
        }
        out.fixed32(restarts.size());
        return out;
    }
}
