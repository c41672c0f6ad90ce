package statelab.sst.format;

/** Where a block lies in the file: its contents' offset and size, not counting the 5-byte trailer. */
public record BlockHandle(long offset, long size) {
    /** compression type (1 byte) + checksum (4 bytes), after every block's contents. */
    public static final int TRAILER = 5;

    public long end() {
        return offset + size + TRAILER;
    }

    public static BlockHandle decode(ByteCursor in) {
        return new BlockHandle(in.varint64(), in.varint64());
    }

    public void encodeTo(ByteSink out) {
        out.varint64(offset);
        out.varint64(size);
    }

    public byte[] encoded() {
        ByteSink s = new ByteSink(20);
        encodeTo(s);
        return s.toByteArray();
    }
}
