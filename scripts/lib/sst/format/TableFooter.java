package statelab.sst.format;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * The footer of a block-based table, format_version 1..5 (table/format.cc): checksum type (1 byte), metaindex
 * and index handles (varints, zero-padded to 41 bytes), format_version (fixed32), magic number (fixed64).
 * format_version 6 and later add a footer checksum and a per-file context mixed into every block checksum;
 * this code stops there (Flink's RocksDB 8.10 writes at most 5).
 */
public record TableFooter(int checksumType, BlockHandle metaindex, BlockHandle index, int formatVersion) {
    public static final int LENGTH = 53;
    public static final long MAGIC = 0x88e241b785f4cff7L;
    public static final long LEGACY_MAGIC = 0xdb4775248b80fb57L;

    public static TableFooter read(FileChannel ch, long fileSize) throws IOException {
        if (fileSize < LENGTH) {
            throw new BadTable("file of " + fileSize + " bytes is too short for a table footer");
        }
        byte[] b = new byte[LENGTH];
        readFully(ch, ByteBuffer.wrap(b), fileSize - LENGTH);
        long magic = ByteCursor.fixed64(b, LENGTH - 8);
        if (magic == LEGACY_MAGIC) {
            throw new BadTable("format_version 0 (legacy footer) is outside the supported 2..5");
        }
        if (magic != MAGIC) {
            throw new BadTable(String.format("not a block-based table: magic number %016x", magic));
        }
        int version = ByteCursor.fixed32(b, LENGTH - 12);
        if (version < 2 || version > 5) {
            throw new BadTable("format_version " + version + " is outside the supported 2..5"
                    + (version >= 6 ? " (6+ mixes a per-file context into block checksums and checksums the footer)" : ""));
        }
        ByteCursor in = new ByteCursor(b, 0, LENGTH - 12);
        int checksum = in.varint32();
        BlockHandle metaindex = BlockHandle.decode(in);
        BlockHandle index = BlockHandle.decode(in);
        return new TableFooter(checksum, metaindex, index, version);
    }

    public byte[] encode() {
        ByteSink s = new ByteSink(LENGTH);
        s.put(checksumType);
        metaindex.encodeTo(s);
        index.encodeTo(s);
        s.zeros(LENGTH - 12 - s.size());
        s.fixed32(formatVersion);
        s.fixed64(MAGIC);
        return s.toByteArray();
    }

    public static void readFully(FileChannel ch, ByteBuffer into, long position) throws IOException {
        long at = position;
        int limit = into.limit();
        try {
            while (into.hasRemaining()) {
                // at most READ_CHUNK per call: the JDK reads into a heap buffer through a temporary direct buffer as
                // large as the request, which for a table's index block is megabytes allocated and touched once more
                into.limit((int) Math.min(limit, (long) into.position() + READ_CHUNK));
                int n = ch.read(into, at);
                if (n < 0) {
                    throw new BadTable("unexpected end of file at byte " + at);
                }
                at += n;
                into.limit(limit);
            }
        } finally {
            into.limit(limit);
        }
    }

    private static final int READ_CHUNK = 1 << 20;
}
