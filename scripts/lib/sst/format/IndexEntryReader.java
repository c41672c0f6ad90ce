package statelab.sst.format;

/**
 * The entries of a kBinarySearch index block, read one at a time and checked: a key that shares no more than the
 * previous key had, a value that is exactly a block handle (full, or with value delta encoding a size delta from the
 * previous handle), and data blocks that lie back to back. {@link IndexBlock} reads entries from bytes in memory,
 * {@link StreamedIndex} from a stream; both read them here.
 */
final class IndexEntryReader {
    private final boolean valueDeltaEncoded;
    private final boolean fromStart;
    private final String what;
    private int prevKeyLength;
    private long prevSize = -1;
    /** Where the next data block must start; -1 while unknown (entries read from a restart point on). */
    private long expected;
    private int count;
    private long offset;
    private long size;

    /**
     * @param fromStart the entries are read from the block's first one, so the first data block must start at 0;
     *     otherwise from a restart point, whose entry carries its whole key and handle
     */
    IndexEntryReader(boolean valueDeltaEncoded, boolean fromStart, String what) {
        this.valueDeltaEncoded = valueDeltaEncoded;
        this.fromStart = fromStart;
        this.what = what;
        this.expected = fromStart ? 0 : -1;
    }

    /** Reads and checks the next entry: {@link #offset} and {@link #size} are then its block's handle. */
    void next(VarintInput in) {
        int shared = in.varint32();
        int nonShared = in.varint32();
        int valueLength = valueDeltaEncoded ? -1 : in.varint32();
        if (shared > prevKeyLength) {
            throw new BadTable(what + ": entry shares " + shared + " bytes with a " + prevKeyLength + "-byte key");
        }
        in.skip(nonShared);
        prevKeyLength = shared + nonShared;
        long valueStart = in.position();
        if (valueDeltaEncoded && shared != 0) {
            if (prevSize < 0) {
                throw new BadTable(what + ": delta-encoded handle without a previous one");
            }
            offset = expected;
            size = prevSize + in.varsigned64();
        } else {
            offset = in.varint64();
            size = in.varint64();
        }
        if (valueLength >= 0 && in.position() - valueStart != valueLength) {
            throw new BadTable(what + ": index value of " + valueLength + " bytes is more than a block handle "
                    + "(index with first keys, kBinarySearchWithFirstKey?), not supported");
        }
        if (expected >= 0 && offset != expected) {
            throw new BadTable((fromStart ? "data block " + count : "a data block") + " starts at " + offset + ", expected "
                    + expected + " (padding between blocks, block_align?), not supported");
        }
        expected = offset + size + BlockHandle.TRAILER;
        prevSize = size;
        count++;
    }

    /** The last entry's block: where it starts, and its size without the trailer. */
    long offset() {
        return offset;
    }

    long size() {
        return size;
    }

    /** How many entries were read. */
    int count() {
        return count;
    }

    /** The end of the last block read (0 for none): where the data region ends when the last entry was read. */
    long dataEnd() {
        return Math.max(0, expected);
    }
}
