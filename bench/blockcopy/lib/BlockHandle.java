package statelab.blockcopy;

/** Where a block lies in the file: its contents' offset and size, not counting the 5-byte trailer. */
record BlockHandle(long offset, long size) {
    /** compression type (1 byte) + checksum (4 bytes), after every block's contents. */
    static final int TRAILER = 5;

    long end() {
        return offset + size + TRAILER;
    }

    static BlockHandle decode(ByteCursor in) {
        return new BlockHandle(in.varint64(), in.varint64());
    }

    void encodeTo(ByteSink out) {
        out.varint64(offset);
        out.varint64(size);
    }

    byte[] encoded() {
        ByteSink s = new ByteSink(20);
        encodeTo(s);
        return s.toByteArray();
    }
}
