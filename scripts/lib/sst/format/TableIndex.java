package statelab.sst.format;

/**
 * A table's index as the rewriters use it: how many data blocks, where block {@code i} lies, where the data
 * region ends. {@link IndexBlock} holds the whole block in memory, every handle at hand, or (read from its end)
 * only the last ones; {@link StreamedIndex} reads it as a stream and keeps only the handles of the last blocks, so
 * that memory does not grow with the table.
 */
public interface TableIndex {
    /** How many entries, i.e. data blocks. */
    int size();

    /** The handle of data block {@code i}. */
    BlockHandle handle(int i);

    /** The end of the last data block (0 for none): where the meta blocks begin. */
    long dataEnd();

    /** Whether {@link #handle} can answer for block {@code i}: an index that keeps only the last blocks says no. */
    default boolean holds(int i) {
        return i >= 0 && i < size();
    }
}
