package statelab.sst.format;

/**
 * RocksDB's varint encodings (util/coding.h) read from somewhere: bytes in memory ({@link ByteCursor}) or a stream
 * (the index reader of {@link StreamedIndex}). Truncated or malformed input throws {@link BadTable}.
 */
public interface VarintInput {
    /** A LEB128 varint of up to 64 bits. */
    long varint64();

    /** Moves past {@code n} bytes. */
    void skip(long n);

    /** How many bytes were read or passed over so far (for a cursor over an array: its index). */
    long position();

    default int varint32() {
        long v = varint64();
        if (v < 0 || v > 0xffff_ffffL) {
            throw new BadTable("varint32 out of range: " + v);
        }
        return (int) v;
    }

    /** RocksDB's GetVarsignedint64: zigzag-decoded varint64. */
    default long varsigned64() {
        long u = varint64();
        return (u >>> 1) ^ -(u & 1);
    }
}
