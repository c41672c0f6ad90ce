package statelab.sst.format;

/**
 * Reads RocksDB's encodings (util/coding.h) from a byte array: LEB128 varints, zigzag "varsigned" ints and
 * little-endian fixed-width ints. Truncated input throws {@link BadTable}, never an index exception.
 */
public final class ByteCursor implements VarintInput {
    public final byte[] buf;
    public int pos;
    public final int limit;

    public ByteCursor(byte[] buf, int pos, int limit) {
        this.buf = buf;
        this.pos = pos;
        this.limit = limit;
    }

    public boolean hasMore() {
        return pos < limit;
    }

    @Override
    public long varint64() {
        long result = 0;
        for (int shift = 0; shift <= 63; shift += 7) {
            if (pos >= limit) {
                throw new BadTable("truncated varint at byte " + pos);
            }
            int b = buf[pos++] & 0xff;
            result |= (long) (b & 0x7f) << shift;
            if (b < 0x80) {
                return result;
            }
        }
        throw new BadTable("varint longer than 10 bytes at byte " + pos);
    }

    /** Moves past {@code n} bytes, checked like {@link #bytes}. */
    @Override
    public void skip(long n) {
        if (n < 0 || pos + n > limit) {
            throw new BadTable("entry of " + n + " bytes runs past the end of its block at byte " + pos);
        }
        pos += (int) n;
    }

    @Override
    public long position() {
        return pos;
    }

    public byte[] bytes(int n) {
        if (n < 0 || pos + n > limit) {
            throw new BadTable("entry of " + n + " bytes runs past the end of its block at byte " + pos);
        }
        byte[] out = new byte[n];
        System.arraycopy(buf, pos, out, 0, n);
        pos += n;
        return out;
    }

    public static int fixed32(byte[] b, int at) {
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | (b[at + 3] & 0xff) << 24;
    }

    /** Writes {@code v} little-endian at {@code b[at]}. */
    public static void putFixed32(byte[] b, int at, int v) {
        b[at] = (byte) v;
        b[at + 1] = (byte) (v >>> 8);
        b[at + 2] = (byte) (v >>> 16);
        b[at + 3] = (byte) (v >>> 24);
    }

    public static long fixed64(byte[] b, int at) {
        return (fixed32(b, at) & 0xffff_ffffL) | (long) fixed32(b, at + 4) << 32;
    }
}
