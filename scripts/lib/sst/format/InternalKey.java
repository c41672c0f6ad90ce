package statelab.sst.format;

/**
 * The 8-byte trailer RocksDB appends to every user key in a data block: (sequence number << 8 | value type),
 * fixed64 little-endian (db/dbformat.h).
 */
public final class InternalKey {
    public static final int DELETION = 0x0;
    public static final int VALUE = 0x1;
    public static final int MERGE = 0x2;
    public static final int SINGLE_DELETION = 0x7;
    public static final int DELETION_WITH_TIMESTAMP = 0x14;

    private InternalKey() {}

    public static int type(byte[] key) {
        if (key.length < 8) {
            throw new BadTable("internal key of " + key.length + " bytes, shorter than its 8-byte trailer");
        }
        return key[key.length - 8] & 0xff;
    }

    public static long sequence(byte[] key) {
        return ByteCursor.fixed64(key, key.length - 8) >>> 8;
    }

    public static byte[] userKey(byte[] key) {
        return java.util.Arrays.copyOf(key, key.length - 8);
    }

    public static boolean isTombstone(int type) {
        return type == DELETION || type == SINGLE_DELETION || type == DELETION_WITH_TIMESTAMP;
    }

    public static String typeName(int type) {
        return switch (type) {
            case DELETION -> "DEL";
            case VALUE -> "PUT";
            case MERGE -> "MERGE";
            case SINGLE_DELETION -> "SINGLE_DEL";
            case DELETION_WITH_TIMESTAMP -> "DEL_TS";
            case 0x11 -> "BLOB_INDEX";
            case 0x16 -> "WIDE_COLUMN_ENTITY";
            case 0x18 -> "VALUE_PREFERRED_SEQNO";
            default -> String.format("TYPE_%02x", type);
        };
    }
}
