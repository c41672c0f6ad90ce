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

    /** Where a block's entries end and its restart points (offsets of entries). */
    record Layout(int[] restarts, int entriesEnd) {}

    static Layout layout(byte[] b, int len, String what) {
        int end = entriesEnd(b, 0, len, what);
        int raw = ByteCursor.fixed32(b, len - 4);
        int[] restarts = new int[raw];
        for (int i = 0; i < raw; i++) {
            restarts[i] = ByteCursor.fixed32(b, end + 4 * i);
        }
        return new Layout(restarts, end);
    }

    /**
     * Where the entries of the block in {@code b[at..at+len)} end (an offset into {@code b}): before its restart
     * offsets and their count. {@link BadTable} for a block too short, a bad restart count, or a data-block hash index.
     */
    public static int entriesEnd(byte[] b, int at, int len, String what) {
        if (len < 4) {
            throw new BadTable(what + " is " + len + " bytes, too short for a block");
        }
        int raw = ByteCursor.fixed32(b, at + len - 4);
        if (raw < 0) {
            throw new BadTable(what + " carries a data-block hash index (data_block_index_type kDataBlockBinaryAndHash), not supported");
        }
        long end = len - 4 - 4L * raw;
        if (raw == 0 || end < 0) {
            throw new BadTable(what + " has a bad restart count " + raw);
        }
        return at + (int) end;
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
