package statelab.sst.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;
import org.xerial.snappy.Snappy;

/**
 * Every internal entry of a block-based table, in the table's order, read data block after data block: what a full
 * scan needs and nothing else. The data region is read in windows of {@value #WINDOW} bytes (the blocks lie back to
 * back, {@link IndexBlock} checks it), every block's checksum is verified before its entries are read, as RocksDB's
 * {@code ReadOptions.verify_checksums} does, and Snappy blocks are decompressed into one reused buffer.
 *
 * <p>Nothing is allocated per entry: the current key is rebuilt in one buffer ({@link #key()}, {@link #keyLength()}),
 * the current value is a slice of the current block ({@link #value()}, {@link #valueOffset()},
 * {@link #valueLength()}). Both are valid until the next {@link #next()}: copy what must outlive it.
 *
 * <p>{@link BadTable} for anything malformed (its message names the block and offset); a block checksum that does
 * not match says "block checksum mismatch".
 */
public final class TableEntries implements AutoCloseable {
    static final int WINDOW = 1 << 20;

    private final FileChannel ch;
    private final BlockBasedTable table;
    private final int checksumType;
    private final String name;

    private byte[] window = new byte[WINDOW];
    private long windowStart;
    private int windowLength;
    private byte[] uncompressed = new byte[64 << 10];

    private int block = -1;
    private byte[] contents;
    private int pos;
    private int entriesEnd;

    private byte[] key = new byte[64];
    private int keyLength;
    private int valueOffset;
    private int valueLength;

    private TableEntries(FileChannel ch, BlockBasedTable table, String name) {
        this.ch = ch;
        this.table = table;
        this.checksumType = table.footer.checksumType();
        this.name = name;
    }

    /**
     * Opens the table read by {@code ch} (closed with this), {@code name} standing for it in messages. {@link BadTable}
     * for a table whose layout the block engine does not read (see {@link BlockBasedTable}).
     */
    public static TableEntries open(FileChannel ch, String name) throws IOException {
        try {
            return new TableEntries(ch, BlockBasedTable.read(ch), name);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** The table's footer, index and properties. */
    public BlockBasedTable table() {
        return table;
    }

    /** Moves to the next entry; false after the last one. */
    public boolean next() throws IOException {
        while (pos >= entriesEnd) {
            if (++block >= table.index.size()) {
                return false;
            }
            load(table.index.handle(block));
        }
        byte[] b = contents;
        int p = pos;
        int shared;
        int nonShared;
        int valueLen;
        if (p + 3 <= entriesEnd && (b[p] | b[p + 1] | b[p + 2]) >= 0) {
            // the common case, as RocksDB's DecodeEntry has it: three one-byte varints
            shared = b[p];
            nonShared = b[p + 1];
            valueLen = b[p + 2];
            p += 3;
        } else {
            long[] at = {p};
            shared = varint32(b, at, entriesEnd);
            nonShared = varint32(b, at, entriesEnd);
            valueLen = varint32(b, at, entriesEnd);
            p = (int) at[0];
        }
        if (shared < 0 || nonShared < 0 || valueLen < 0 || shared > keyLength || (long) p + nonShared + valueLen > entriesEnd) {
            throw bad("entry at byte " + pos + " shares " + shared + " bytes of a " + keyLength + "-byte key and runs "
                    + nonShared + " + " + valueLen + " bytes, past its block's " + entriesEnd);
        }
        int length = shared + nonShared;
        if (length > key.length) {
            key = Arrays.copyOf(key, Math.max(length, key.length * 2));
        }
        System.arraycopy(b, p, key, shared, nonShared);
        keyLength = length;
        if (length < 8) {
            throw bad("internal key of " + length + " bytes at byte " + pos + ", shorter than its 8-byte trailer");
        }
        valueOffset = p + nonShared;
        valueLength = valueLen;
        pos = valueOffset + valueLen;
        return true;
    }

    /** The current internal key: user key, then the 8-byte trailer (sequence number and type). */
    public byte[] key() {
        return key;
    }

    public int keyLength() {
        return keyLength;
    }

    public int userKeyLength() {
        return keyLength - 8;
    }

    /** The current entry's trailer: sequence number << 8 | type. */
    public long tag() {
        return ByteCursor.fixed64(key, keyLength - 8);
    }

    public int type() {
        return key[keyLength - 8] & 0xff;
    }

    public byte[] value() {
        return contents;
    }

    public int valueOffset() {
        return valueOffset;
    }

    public int valueLength() {
        return valueLength;
    }

    public String name() {
        return name;
    }

    private void load(BlockHandle h) throws IOException {
        long stored = h.size() + BlockHandle.TRAILER;
        if (stored > Integer.MAX_VALUE - 16) {
            throw bad("data block " + block + " at offset " + h.offset() + " is too large (" + h.size() + " bytes)");
        }
        if (h.offset() < windowStart || h.offset() + stored > windowStart + windowLength) {
            fill(h.offset(), (int) stored);
        }
        int at = (int) (h.offset() - windowStart);
        int n = (int) h.size();
        if (checksumType != StoredBlock.NO_CHECKSUM) {
            int expected = ByteCursor.fixed32(window, at + n + 1);
            int actual = StoredBlock.checksum(checksumType, window, at, n);
            if (expected != actual) {
                throw bad(String.format("block checksum mismatch in data block %d at offset %d (%s: stored %08x, computed %08x)",
                        block, h.offset(), StoredBlock.checksumName(checksumType), expected, actual));
            }
        }
        int compression = window[at + n] & 0xff;
        int length;
        if (compression == StoredBlock.NO_COMPRESSION) {
            contents = window;
            pos = at;
            length = n;
        } else if (compression == StoredBlock.SNAPPY) {
            try {
                int u = Snappy.uncompressedLength(window, at, n);
                if (u > uncompressed.length) {
                    uncompressed = new byte[Math.max(u, uncompressed.length * 2)];
                }
                int got = Snappy.uncompress(window, at, n, uncompressed, 0);
                if (got != u) {
                    throw bad("data block " + block + " at offset " + h.offset() + ": Snappy gave " + got + " bytes, expected " + u);
                }
                length = u;
            } catch (IOException e) {
                throw bad("data block " + block + " at offset " + h.offset() + ": corrupt Snappy data (" + e.getMessage() + ")");
            }
            contents = uncompressed;
            pos = 0;
        } else {
            throw bad("data block " + block + " at offset " + h.offset() + " is compressed with "
                    + StoredBlock.compressionName(compression) + "; only blocks without compression or with Snappy are read here");
        }
        entriesEnd = BlockEntries.entriesEnd(contents, pos, length, name + ": data block " + block + " at offset " + h.offset());
        keyLength = 0;
    }

    /** Reads the window from {@code offset}: at least {@code need} bytes, up to {@value #WINDOW} of the data region. */
    private void fill(long offset, int need) throws IOException {
        long dataEnd = table.dataEnd();
        int length = (int) Math.max(need, Math.min(WINDOW, dataEnd - offset));
        if (length > window.length) {
            window = new byte[length];
        }
        TableFooter.readFully(ch, ByteBuffer.wrap(window, 0, length), offset);
        windowStart = offset;
        windowLength = length;
    }

    private int varint32(byte[] b, long[] at, int limit) {
        int p = (int) at[0];
        int result = 0;
        for (int shift = 0; shift <= 28; shift += 7) {
            if (p >= limit) {
                throw bad("truncated varint at byte " + p + " of data block " + block);
            }
            int x = b[p++] & 0xff;
            result |= (x & 0x7f) << shift;
            if (x < 0x80) {
                at[0] = p;
                return result;
            }
        }
        throw bad("varint longer than 5 bytes at byte " + p + " of data block " + block);
    }

    private BadTable bad(String what) {
        return new BadTable(name + ": " + what);
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
