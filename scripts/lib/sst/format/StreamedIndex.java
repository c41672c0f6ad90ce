package statelab.sst.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import java.util.List;

/**
 * A table's index block read and rewritten as a stream, in memory that does not grow with the table: a 4 GiB
 * table's index is ~36 MB uncompressed, and {@link IndexBlock} would hold it (twice, with the rewrite). Reading
 * it verifies the block's checksum, checks every entry and that the data blocks lie back to back from 0, and
 * keeps only the last {@code keep} entries (their bytes, positions and handles): the blocks a change of the last
 * values touches. {@link #rewrite} writes the block anew with new handles from one of those entries on, decoding
 * the old block a second time and compressing the new one fragment by fragment ({@link SnappyStream}), its
 * checksum computed on the way ({@link BlockChecksum}).
 *
 * <p>Index blocks without compression or with Snappy, kBinarySearch, with or without value delta encoding.
 */
public final class StreamedIndex implements TableIndex {
    private static final int CHUNK = 256 << 10;

    private final FileChannel ch;
    private final BlockHandle stored;
    private final int compression;
    private final boolean valueDeltaEncoded;
    private final long contentLength;
    private final long entriesEnd;
    private final int restarts;
    private final int size;
    private final long dataEnd;
    /** The last {@code kept} entries, index {@code size - kept + j}: start in the contents, handle, raw bytes. */
    private final long[] starts;
    private final BlockHandle[] handles;
    private final byte[][] entries;
    private final int kept;

    private StreamedIndex(FileChannel ch, BlockHandle stored, int compression, boolean valueDeltaEncoded, long contentLength,
                          long entriesEnd, int restarts, int size, long dataEnd, Ring ring) {
        this.ch = ch;
        this.stored = stored;
        this.compression = compression;
        this.valueDeltaEncoded = valueDeltaEncoded;
        this.contentLength = contentLength;
        this.entriesEnd = entriesEnd;
        this.restarts = restarts;
        this.size = size;
        this.dataEnd = dataEnd;
        this.kept = ring.count;
        this.starts = new long[kept];
        this.handles = new BlockHandle[kept];
        this.entries = new byte[kept][];
        for (int j = 0; j < kept; j++) {
            int slot = (ring.next - kept + j + ring.starts.length) % ring.starts.length;
            starts[j] = ring.starts[slot];
            handles[j] = new BlockHandle(ring.offsets[slot], ring.sizes[slot]);
            entries[j] = Arrays.copyOf(ring.entries[slot], ring.lengths[slot]);
        }
    }

    /**
     * The last {@code keep} entries of the index: a ring that overwrites the oldest, its slots allocated once (a
     * read allocates nothing per entry, so the garbage, and with it the heap the JVM touches, does not grow with
     * the table).
     */
    private static final class Ring {
        final long[] starts;
        final long[] offsets;
        final long[] sizes;
        final byte[][] entries;
        final int[] lengths;
        int next;
        int count;

        Ring(int keep) {
            starts = new long[keep];
            offsets = new long[keep];
            sizes = new long[keep];
            entries = new byte[keep][];
            lengths = new int[keep];
        }

        void add(long start, long offset, long size, ByteSink entry) {
            starts[next] = start;
            offsets[next] = offset;
            sizes[next] = size;
            if (entries[next] == null || entries[next].length < entry.size()) {
                entries[next] = new byte[Math.max(32, entry.size())];
            }
            System.arraycopy(entry.array(), 0, entries[next], 0, entry.size());
            lengths[next] = entry.size();
            next = (next + 1) % starts.length;
            count = Math.min(count + 1, starts.length);
        }
    }

    /**
     * Reads the index block at {@code stored} (its checksum of {@code checksumType} verified), keeping the last
     * {@code keep} entries. {@link BadTable} for a block that is corrupt or outside the supported shapes.
     */
    public static StreamedIndex read(FileChannel ch, BlockHandle stored, int checksumType, boolean valueDeltaEncoded, int keep)
            throws IOException {
        try {
            return scan(ch, stored, checksumType, valueDeltaEncoded, keep);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static StreamedIndex scan(FileChannel ch, BlockHandle stored, int checksumType, boolean valueDeltaEncoded, int keep)
            throws IOException {
        String what = "index block";
        int compression = verify(ch, stored, checksumType, what);
        long length = compression == StoredBlock.SNAPPY ? SnappyStream.uncompressedLength(ch, stored.offset(), stored.size())
                : stored.size();
        if (length < 4) {
            throw new BadTable(what + " is " + length + " bytes, too short for a block");
        }
        int raw = lastFixed32(ch, stored, compression, length);
        if (raw < 0) {
            throw new BadTable(what + " carries a data-block hash index (data_block_index_type kDataBlockBinaryAndHash), not supported");
        }
        long entriesEnd = length - 4 - 4L * raw;
        if (raw == 0 || entriesEnd < 0) {
            throw new BadTable(what + " has a bad restart count " + raw);
        }
        Ring ring = new Ring(Math.max(1, keep));
        Cursor in = new Cursor(contents(ch, stored, compression));
        IndexEntryReader entries = new IndexEntryReader(valueDeltaEncoded, true, what);
        while (in.consumed < entriesEnd) {
            long start = in.consumed;
            in.mark();
            entries.next(in);
            if (in.consumed > entriesEnd) {
                throw new BadTable(what + ": entry " + (entries.count() - 1) + " runs into the restart array");
            }
            ring.add(start, entries.offset(), entries.size(), in.marked());
        }
        return new StreamedIndex(ch, stored, compression, valueDeltaEncoded, length, entriesEnd, raw, entries.count(),
                entries.dataEnd(), ring);
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public long dataEnd() {
        return dataEnd;
    }

    /** Whether the handle of block {@code i} was kept (one of the last entries). */
    @Override
    public boolean holds(int i) {
        return i >= size - kept && i < size;
    }

    @Override
    public BlockHandle handle(int i) {
        if (!holds(i)) {
            throw new IllegalStateException("data block " + i + " of " + size + ": only the last " + kept + " handles were kept");
        }
        return handles[i - (size - kept)];
    }

    /** The block's uncompressed length, and its compression type. */
    public long contentLength() {
        return contentLength;
    }

    public int compression() {
        return compression;
    }

    /** What {@link #rewrite} wrote: the new block's uncompressed length and its stored length (trailer included). */
    public record Written(long contentLength, long storedLength) {}

    /**
     * Writes the index block, with the handles of entries {@code first..size-1} replaced by {@code newHandles},
     * to {@code out} at {@code at}, compressed as the old one was, with a trailer of {@code checksumType}.
     * {@code first - 1} and later entries must have been kept.
     */
    public Written rewrite(int first, List<BlockHandle> newHandles, FileChannel out, long at, int checksumType) throws IOException {
        try {
            return write(first, newHandles, out, at, checksumType);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private Written write(int first, List<BlockHandle> newHandles, FileChannel out, long at, int checksumType) throws IOException {
        if (newHandles.size() != size - first || !holds(Math.max(0, first - 1)) || (first > 0 && !holds(first))) {
            throw new IllegalArgumentException("blocks " + first + ".." + (size - 1) + " cannot be rewritten from the kept entries");
        }
        int base = size - kept;
        // the new entries from `first` on, and where each starts in the new block
        ByteSink tail = new ByteSink(64 * (size - first) + 64);
        long from = first < size ? starts[first - base] : entriesEnd;
        long[] newStarts = new long[size - first];
        BlockHandle prev = first > 0 ? handles[first - 1 - base] : null;
        ByteSink value = new ByteSink(24);
        for (int i = first; i < size; i++) {
            newStarts[i - first] = from + tail.size();
            ByteCursor e = new ByteCursor(entries[i - base], 0, entries[i - base].length);
            int shared = e.varint32();
            int nonShared = e.varint32();
            if (!valueDeltaEncoded) {
                e.varint32();
            }
            int keyAt = e.pos;
            BlockHandle h = newHandles.get(i - first);
            value.clear();
            if (valueDeltaEncoded && shared != 0) {
                if (prev == null || h.offset() != prev.end()) {
                    throw new BadTable("index entry " + i + ": blocks are not contiguous, a size delta cannot encode them");
                }
                value.varsigned64(h.size() - prev.size());
            } else {
                h.encodeTo(value);
            }
            tail.varint64(shared);
            tail.varint64(nonShared);
            if (!valueDeltaEncoded) {
                tail.varint64(value.size());
            }
            tail.put(entries[i - base], keyAt, nonShared);
            tail.put(value.array(), 0, value.size());
            prev = h;
        }
        long newLength = from + tail.size() + (contentLength - entriesEnd);
        BlockChecksum checksum = BlockChecksum.of(checksumType);
        try (ChannelWriter writer = new ChannelWriter(out, at, checksum)) {
            SnappyStream.Encoder snappy = compression == StoredBlock.SNAPPY ? new SnappyStream.Encoder(newLength, writer::write) : null;
            SnappyStream.Encoder.Sink sink = snappy != null ? snappy::write : writer::write;
            Cursor in = new Cursor(contents(ch, stored, compression));
            in.copyTo(sink, from);
            in.skip(entriesEnd - from);
            sink.write(tail.array(), 0, tail.size());
            byte[] r = new byte[4];
            for (int k = 0; k < restarts; k++) {
                long old = in.fixed32() & 0xffff_ffffL;
                long now = old;
                if (old >= from) {
                    int j = Arrays.binarySearch(starts, first - base, kept, old);
                    if (j < 0) {
                        throw new BadTable("index block: restart point " + old + " is not at an entry's start");
                    }
                    now = newStarts[j - (first - base)];
                }
                ByteCursor.putFixed32(r, 0, (int) now);
                sink.write(r, 0, 4);
            }
            int count = in.fixed32();
            ByteCursor.putFixed32(r, 0, count);
            sink.write(r, 0, 4);
            if (snappy != null) {
                snappy.close();
            }
            long contents = writer.written();
            writer.trailer((byte) compression);
            return new Written(newLength, contents + BlockHandle.TRAILER);
        }
    }

    /** Checks the stored block's checksum by streaming it; returns its compression type. */
    private static int verify(FileChannel ch, BlockHandle h, int checksumType, String what) throws IOException {
        ByteBuffer trailer = ByteBuffer.allocate(BlockHandle.TRAILER);
        TableFooter.readFully(ch, trailer, h.end() - BlockHandle.TRAILER);
        int compression = trailer.get(0) & 0xff;
        if (compression != StoredBlock.NO_COMPRESSION && compression != StoredBlock.SNAPPY) {
            throw new BadTable(what + " is compressed with " + StoredBlock.compressionName(compression)
                    + "; only blocks without compression or with Snappy can be re-encoded");
        }
        if (checksumType != StoredBlock.NO_CHECKSUM) {
            BlockChecksum c = BlockChecksum.of(checksumType);
            byte[] buf = new byte[(int) Math.min(CHUNK, Math.max(1, h.size()))];
            for (long done = 0; done < h.size(); ) {
                int n = (int) Math.min(buf.length, h.size() - done);
                TableFooter.readFully(ch, ByteBuffer.wrap(buf, 0, n), h.offset() + done);
                c.update(buf, 0, n);
                done += n;
            }
            int expected = ByteCursor.fixed32(trailer.array(), 1);
            int actual = c.finish((byte) compression);
            if (expected != actual) {
                throw new BadTable(String.format("%s at offset %d: %s checksum mismatch (stored %08x, computed %08x)",
                        what, h.offset(), StoredBlock.checksumName(checksumType), expected, actual));
            }
        }
        return compression;
    }

    /** The block's uncompressed contents as a stream. */
    private static InputStream contents(FileChannel ch, BlockHandle h, int compression) throws IOException {
        if (compression == StoredBlock.SNAPPY) {
            return new SnappyStream.Decoder(ch, h.offset(), h.size());
        }
        return new InputStream() {
            private long pos = h.offset();
            private final long end = h.offset() + h.size();

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (pos >= end) {
                    return -1;
                }
                int n = ch.read(ByteBuffer.wrap(b, off, (int) Math.min(len, end - pos)), pos);
                if (n <= 0) {
                    throw new BadTable("index block: the file ends at " + pos);
                }
                pos += n;
                return n;
            }
        };
    }

    /** The last 4 bytes of the contents (the restart count). */
    private static int lastFixed32(FileChannel ch, BlockHandle h, int compression, long length) throws IOException {
        if (compression == StoredBlock.NO_COMPRESSION) {
            ByteBuffer b = ByteBuffer.allocate(4);
            TableFooter.readFully(ch, b, h.offset() + h.size() - 4);
            return ByteCursor.fixed32(b.array(), 0);
        }
        Cursor in = new Cursor(contents(ch, h, compression));
        in.skip(length - 4);
        return in.fixed32();
    }

    /**
     * Reads RocksDB's encodings from a stream, counting the bytes consumed; can capture the bytes of one entry. A
     * failed read of the stream is an {@link UncheckedIOException} (the entries are read through
     * {@link VarintInput}), which {@link #read} and {@link #rewrite} turn back into the {@link IOException} it was.
     */
    private static final class Cursor implements VarintInput {
        private final InputStream in;
        private final byte[] buf = new byte[64 << 10];
        private int pos;
        private int lim;
        long consumed;
        private final ByteSink captured = new ByteSink(64);
        private boolean capturing;

        Cursor(InputStream in) {
            this.in = in;
        }

        private void fill() {
            int n;
            try {
                n = in.read(buf, 0, buf.length);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (n <= 0) {
                throw new BadTable("index block ends early, at byte " + consumed);
            }
            pos = 0;
            lim = n;
        }

        int readByte() {
            if (pos == lim) {
                fill();
            }
            consumed++;
            int b = buf[pos++] & 0xff;
            if (capturing) {
                captured.put(b);
            }
            return b;
        }

        void mark() {
            captured.clear();
            capturing = true;
        }

        /** The bytes read since {@link #mark}, valid until the next mark. */
        ByteSink marked() {
            capturing = false;
            return captured;
        }

        @Override
        public long varint64() {
            long result = 0;
            for (int shift = 0; shift <= 63; shift += 7) {
                int b = readByte();
                result |= (long) (b & 0x7f) << shift;
                if (b < 0x80) {
                    return result;
                }
            }
            throw new BadTable("varint longer than 10 bytes at byte " + consumed);
        }

        int fixed32() {
            return readByte() | readByte() << 8 | readByte() << 16 | readByte() << 24;
        }

        @Override
        public long position() {
            return consumed;
        }

        @Override
        public void skip(long n) {
            if (capturing) {
                for (long i = 0; i < n; i++) {
                    readByte();
                }
                return;
            }
            long left = n;
            while (left > 0) {
                if (pos == lim) {
                    fill();
                }
                int k = (int) Math.min(left, lim - pos);
                pos += k;
                consumed += k;
                left -= k;
            }
        }

        void copyTo(SnappyStream.Encoder.Sink sink, long n) throws IOException {
            long left = n;
            while (left > 0) {
                if (pos == lim) {
                    fill();
                }
                int k = (int) Math.min(left, lim - pos);
                sink.write(buf, pos, k);
                pos += k;
                consumed += k;
                left -= k;
            }
        }
    }

    /** Buffered positional writes to a channel, every byte also fed to a block checksum. */
    private static final class ChannelWriter implements AutoCloseable {
        private final FileChannel out;
        private final BlockChecksum checksum;
        private final ByteBuffer buf = ByteBuffer.allocate(CHUNK);
        private long at;
        private long written;

        ChannelWriter(FileChannel out, long at, BlockChecksum checksum) {
            this.out = out;
            this.at = at;
            this.checksum = checksum;
        }

        void write(byte[] b, int off, int len) throws IOException {
            checksum.update(b, off, len);
            written += len;
            int done = 0;
            while (done < len) {
                int k = Math.min(buf.remaining(), len - done);
                buf.put(b, off + done, k);
                done += k;
                if (!buf.hasRemaining()) {
                    flush();
                }
            }
        }

        long written() {
            return written;
        }

        /** The 5-byte trailer after the contents: compression type and the checksum of contents and type. */
        void trailer(byte type) throws IOException {
            int c = checksum.finish(type);
            byte[] t = {type, (byte) c, (byte) (c >>> 8), (byte) (c >>> 16), (byte) (c >>> 24)};
            if (buf.remaining() < t.length) {
                flush();
            }
            buf.put(t);
        }

        private void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                at += out.write(buf, at);
            }
            buf.clear();
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
