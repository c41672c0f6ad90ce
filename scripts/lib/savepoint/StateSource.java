package statelab.savepoint;

import java.util.List;

/**
 * One subtask's keyed state as raw RocksDB keys and values, per state: a native savepoint's files opened by RocksDB
 * ({@link KeyedStateDb}), or a canonical savepoint's stream read by Flink ({@link CanonicalState}).
 */
public interface StateSource extends AutoCloseable {
    /** The states (column families) that hold Flink state, by name. */
    List<String> states();

    /** The value of raw {@code key} in {@code state}, or null when there is none. */
    byte[] get(String state, byte[] key);

    /** The state's entries in key order (unsigned bytes, RocksDB's order). */
    Cursor scan(String state);

    @Override
    void close();

    /** Entries one at a time: {@link #next()} false at the end. */
    interface Cursor extends AutoCloseable {
        boolean next();

        byte[] key();

        byte[] value();

        @Override
        void close();
    }
}
