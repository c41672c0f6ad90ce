package statelab.savepoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import statelab.sst.format.BadTable;
import statelab.sst.format.InternalKey;
import statelab.sst.format.TableEntries;

/**
 * One column family's live entries as RocksDB's iterator reads them, from the SSTs that hold it, read by the block
 * engine ({@link TableEntries}) instead of through JNI: the tables merged in internal-key order (user key ascending,
 * then newest first), the newest version of each key wins, a deletion hides the key, and merge operands are joined
 * as Flink's merge operator joins them (RocksDB's StringAppendOperator with ','): the newest put or nothing, then
 * the operands oldest first, a ',' between two.
 *
 * <p>Only what a scan of Flink's column families meets is read here: puts, deletions, single deletions and merge
 * operands. Range deletions and ingested tables (a global sequence number) are not: {@link KeyedStateDb} leaves
 * such tables to RocksDB's own iterator ({@link #unreadable}). Any other entry type ends the scan with
 * {@link BadTable}.
 */
final class MergedTables implements StateSource.Cursor {
    private final TableEntries[] tables;
    private final boolean[] live;
    /** The table whose current entry comes first, -1 when all are done; {@link #rank} sets both. */
    private int best;
    /** The table whose current entry comes first among the others, -1 when there is none. */
    private int second;
    private byte[] key;
    private byte[] value;
    private final List<byte[]> operands = new ArrayList<>();

    MergedTables(List<TableEntries> tables) throws IOException {
        this.tables = tables.toArray(new TableEntries[0]);
        this.live = new boolean[this.tables.length];
        for (int i = 0; i < this.tables.length; i++) {
            live[i] = this.tables[i].next();
        }
        rank();
    }

    /** Whether a table holds only what this class reads: no range deletions, no global sequence number. */
    static String unreadable(TableEntries t) {
        if (t.table().number("rocksdb.num.range-deletions", 0) != 0) {
            return "it holds range deletions";
        }
        if (t.table().value("rocksdb.external_sst_file.global_seqno") != null) {
            return "it was ingested (a global sequence number)";
        }
        return null;
    }

    /**
     * Most entries take one comparison here, not one per table: when the next-best table's user key is not this
     * entry's, no other table holds a version of it, and the best table stays best until its key passes the
     * next-best one's ({@link #rank} again only then).
     */
    @Override
    public boolean next() {
        try {
            while (best >= 0) {
                TableEntries t = tables[best];
                byte[] userKey = Arrays.copyOf(t.key(), t.userKeyLength());
                int type = t.type();
                if (type == InternalKey.VALUE) {
                    value = Arrays.copyOfRange(t.value(), t.valueOffset(), t.valueOffset() + t.valueLength());
                } else if (type == InternalKey.MERGE) {
                    value = merged(userKey);
                } else if (type != InternalKey.DELETION && type != InternalKey.SINGLE_DELETION) {
                    throw new BadTable(t.name() + ": an entry of type " + InternalKey.typeName(type) + ", which this reader does not read");
                }
                if (type != InternalKey.MERGE && (second < 0 || !sameUserKey(tables[second], userKey))) {
                    // only this table holds versions of the key: skip its older ones
                    do {
                        live[best] = t.next();
                    } while (live[best] && sameUserKey(t, userKey));
                    if (!live[best] || second >= 0 && !before(t, tables[second])) {
                        rank();
                    }
                } else {
                    skipAll(userKey);
                    rank();
                }
                if (type != InternalKey.DELETION && type != InternalKey.SINGLE_DELETION) {
                    key = userKey;
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Finds {@link #best} and {@link #second} among the live tables. */
    private void rank() {
        best = -1;
        second = -1;
        for (int i = 0; i < tables.length; i++) {
            if (!live[i]) {
                continue;
            }
            if (best < 0 || before(tables[i], tables[best])) {
                second = best;
                best = i;
            } else if (second < 0 || before(tables[i], tables[second])) {
                second = i;
            }
        }
    }

    /** The operands of {@code userKey} from the newest on, down to a put, a deletion or the end: joined. */
    private byte[] merged(byte[] userKey) throws IOException {
        operands.clear();
        byte[] base = null;
        for (rank(); best >= 0 && sameUserKey(tables[best], userKey); rank()) {
            int i = best;
            TableEntries t = tables[i];
            int type = t.type();
            if (type == InternalKey.MERGE) {
                operands.add(Arrays.copyOfRange(t.value(), t.valueOffset(), t.valueOffset() + t.valueLength()));
                live[i] = t.next();
                continue;
            }
            if (type == InternalKey.VALUE) {
                base = Arrays.copyOfRange(t.value(), t.valueOffset(), t.valueOffset() + t.valueLength());
            } else if (type != InternalKey.DELETION && type != InternalKey.SINGLE_DELETION) {
                throw new BadTable(t.name() + ": an entry of type " + InternalKey.typeName(type) + ", which this reader does not read");
            }
            break;
        }
        List<byte[]> parts = new ArrayList<>(operands.size() + 1);
        if (base != null) {
            parts.add(base);
        }
        for (int i = operands.size() - 1; i >= 0; i--) {
            parts.add(operands.get(i));
        }
        int length = parts.size() - 1;
        for (byte[] p : parts) {
            length += p.length;
        }
        byte[] out = new byte[length];
        int at = 0;
        for (int i = 0; i < parts.size(); i++) {
            if (i > 0) {
                out[at++] = ',';
            }
            byte[] p = parts.get(i);
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }

    /** Moves every table past the versions of {@code userKey} (all older than the one read). */
    private void skipAll(byte[] userKey) throws IOException {
        for (int i = 0; i < tables.length; i++) {
            while (live[i] && sameUserKey(tables[i], userKey)) {
                live[i] = tables[i].next();
            }
        }
    }

    private static boolean before(TableEntries a, TableEntries b) {
        int c = Arrays.compareUnsigned(a.key(), 0, a.userKeyLength(), b.key(), 0, b.userKeyLength());
        return c < 0 || c == 0 && Long.compareUnsigned(a.tag(), b.tag()) > 0;
    }

    private static boolean sameUserKey(TableEntries t, byte[] userKey) {
        return Arrays.equals(t.key(), 0, t.userKeyLength(), userKey, 0, userKey.length);
    }

    @Override
    public byte[] key() {
        return key;
    }

    @Override
    public byte[] value() {
        return value;
    }

    @Override
    public void close() {
        closeAll(List.of(tables));
    }

    /** Closes every table, read-only channels whose close errors change nothing. */
    static void closeAll(List<TableEntries> tables) {
        for (TableEntries t : tables) {
            try {
                t.close();
            } catch (IOException ignored) {
                // read-only channels
            }
        }
    }
}
