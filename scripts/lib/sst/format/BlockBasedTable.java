package statelab.sst.format;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a block-based table says about its own layout, read from its end: footer, metaindex, properties and
 * index block (all verified against their checksums), and the data block handles the index lists. Checks the
 * scope of the block rewriter (statelab.sst.rewrite) and refuses, naming the reason, anything it could not rewrite faithfully.
 *
 * <p>Layout assumed, and checked (BlockBasedTableBuilder::Finish): data blocks back to back from offset 0,
 * then the meta blocks (filter, index, range deletions, properties) back to back, the metaindex last, then the
 * footer.
 */
public final class BlockBasedTable {
    public static final String PROPERTIES = "rocksdb.properties";
    public static final String RANGE_DEL = "rocksdb.range_del";
    public static final String FULL_FILTER_PREFIX = "fullfilter.";

    public static final String PROP_DATA_SIZE = "rocksdb.data.size";
    public static final String PROP_INDEX_SIZE = "rocksdb.index.size";
    public static final String PROP_RAW_VALUE_SIZE = "rocksdb.raw.value.size";
    public static final String PROP_TAIL_START = "rocksdb.tail.start.offset";
    public static final String PROP_NUM_DATA_BLOCKS = "rocksdb.num.data.blocks";
    public static final String PROP_NUM_ENTRIES = "rocksdb.num.entries";
    public static final String PROP_INDEX_TYPE = "rocksdb.block.based.table.index.type";
    public static final String PROP_INDEX_DELTA = "rocksdb.index.value.is.delta.encoded";
    public static final String PROP_INDEX_USER_KEY = "rocksdb.index.key.is.user.key";

    public final long fileSize;
    public final TableFooter footer;
    public final StoredBlock.Decoded metaindexBlock;
    public final List<BlockEntries.Entry> metaindex;
    public final Map<String, BlockHandle> metaBlocks = new LinkedHashMap<>();
    public final StoredBlock.Decoded propertiesBlock;
    public final List<BlockEntries.Entry> properties;
    /** The index block decoded in memory; null when the index is {@link StreamedIndex streamed}. */
    public final StoredBlock.Decoded indexBlock;
    public final boolean indexValueDeltaEncoded;
    public final TableIndex index;

    private BlockBasedTable(FileChannel ch, long fileSize, int keep) throws IOException {
        this.fileSize = fileSize;
        footer = TableFooter.read(ch, fileSize);
        StoredBlock.requireSupportedChecksum(footer.checksumType());
        metaindexBlock = StoredBlock.read(ch, footer.metaindex(), footer.checksumType(), "metaindex block");
        metaindex = BlockEntries.parse(metaindexBlock.contents(), "metaindex block");
        for (BlockEntries.Entry e : metaindex) {
            String name = new String(e.key(), StandardCharsets.UTF_8);
            metaBlocks.put(name, BlockHandle.decode(new ByteCursor(e.value(), 0, e.value().length)));
        }
        checkMetaBlocks();
        BlockHandle ph = metaBlocks.get(PROPERTIES);
        propertiesBlock = StoredBlock.read(ch, ph, footer.checksumType(), "properties block");
        properties = BlockEntries.parse(propertiesBlock.contents(), "properties block");
        checkIndexType();
        indexValueDeltaEncoded = number(PROP_INDEX_DELTA, 0) != 0;
        if (keep == PROPERTIES_ONLY) {
            indexBlock = null;
            index = null;
            return;
        } else if (keep < 0) {
            indexBlock = StoredBlock.read(ch, footer.index(), footer.checksumType(), "index block");
            index = IndexBlock.parseEnd(indexBlock.contents(), indexValueDeltaEncoded, -keep,
                    number(PROP_NUM_DATA_BLOCKS, -1), "index block");
            return;
        } else if (keep > 0) {
            indexBlock = null;
            index = StreamedIndex.read(ch, footer.index(), footer.checksumType(), indexValueDeltaEncoded, keep);
        } else {
            indexBlock = StoredBlock.read(ch, footer.index(), footer.checksumType(), "index block");
            index = IndexBlock.parse(indexBlock.contents(), indexValueDeltaEncoded, "index block");
        }
        checkDataBlockCount();
    }

    /** The table with its whole index in memory ({@link IndexBlock}): every handle at hand. */
    public static BlockBasedTable read(FileChannel ch) throws IOException {
        return new BlockBasedTable(ch, ch.size(), 0);
    }

    private static final int PROPERTIES_ONLY = Integer.MIN_VALUE;

    /** Footer, metaindex and properties only ({@link #index} and {@link #indexBlock} are null): what a table says about itself. */
    public static BlockBasedTable readProperties(FileChannel ch) throws IOException {
        return new BlockBasedTable(ch, ch.size(), PROPERTIES_ONLY);
    }

    /**
     * The table with its index block read whole (checksum verified, decompressed in one go) but parsed from its
     * end only, through its restart points: the handles of the last {@code keep} data blocks, at a cost that hardly
     * grows with the table. The data blocks before those are not checked to lie back to back.
     */
    public static BlockBasedTable readEnd(FileChannel ch, int keep) throws IOException {
        if (keep < 1) {
            throw new IllegalArgumentException("keep at least one entry, got " + keep);
        }
        return new BlockBasedTable(ch, ch.size(), -keep);
    }

    /**
     * The table with its index read as a stream ({@link StreamedIndex}), keeping the handles of the last
     * {@code keep} data blocks only: memory independent of the table's size.
     */
    public static BlockBasedTable readTail(FileChannel ch, int keep) throws IOException {
        if (keep < 1) {
            throw new IllegalArgumentException("keep at least one entry, got " + keep);
        }
        return new BlockBasedTable(ch, ch.size(), keep);
    }

    private void checkMetaBlocks() {
        if (!metaBlocks.containsKey(PROPERTIES)) {
            throw new BadTable("no properties block in the metaindex");
        }
        for (String name : metaBlocks.keySet()) {
            if (name.equals(PROPERTIES) || name.equals(RANGE_DEL) || name.startsWith(FULL_FILTER_PREFIX)) {
                continue;
            }
            String why = name.startsWith("partitionedfilter.") ? "partitioned filter (its partitions are indexed by offset)"
                    : name.startsWith("filter.") ? "block-based filter (it maps data block offsets)"
                    : name.startsWith("rocksdb.hashindex") ? "hash index prefixes (kHashSearch)"
                    : name.equals("rocksdb.compression_dict") ? "compression dictionary"
                    : "unknown meta block";
            throw new BadTable("meta block '" + name + "': " + why + ", not supported");
        }
    }

    private void checkIndexType() {
        byte[] t = value(PROP_INDEX_TYPE);
        int type = t == null ? 0 : t.length == 4 ? ByteCursor.fixed32(t, 0) : -1;
        if (type != 0) {
            String name = switch (type) {
                case 1 -> "kHashSearch";
                case 2 -> "kTwoLevelIndexSearch (partitioned index)";
                case 3 -> "kBinarySearchWithFirstKey";
                default -> "unknown (" + type + ")";
            };
            throw new BadTable("index type " + name + " is not supported; only kBinarySearch is");
        }
    }

    private void checkDataBlockCount() {
        long blocks = number(PROP_NUM_DATA_BLOCKS, index.size());
        if (blocks != index.size()) {
            throw new BadTable("properties say " + blocks + " data blocks, the index lists " + index.size());
        }
    }

    /** End of the data region: the offset of the first meta block. */
    public long dataEnd() {
        return index.dataEnd();
    }

    public record TailBlock(String name, BlockHandle handle) {}

    public static final String INDEX = "<index>";
    public static final String METAINDEX = "<metaindex>";

    /**
     * The blocks between the data region and the footer, in file order; checks they tile it (after padding, if
     * any), metaindex last.
     */
    public List<TailBlock> tail() {
        List<TailBlock> t = new ArrayList<>();
        metaBlocks.forEach((name, h) -> t.add(new TailBlock(name, h)));
        t.add(new TailBlock(INDEX, footer.index()));
        t.add(new TailBlock(METAINDEX, footer.metaindex()));
        t.sort(Comparator.comparingLong(b -> b.handle().offset()));
        // A gap between the last data block and the first meta block is the padding of --keep-size.
        long expected = Math.max(dataEnd(), t.get(0).handle().offset());
        for (TailBlock b : t) {
            if (b.handle().offset() != expected) {
                throw new BadTable("meta block " + b.name() + " at " + b.handle().offset() + ", expected " + expected
                        + ": unexpected table layout");
            }
            expected = b.handle().end();
        }
        if (expected != fileSize - TableFooter.LENGTH || !t.get(t.size() - 1).name().equals(METAINDEX)) {
            throw new BadTable("the metaindex is not the last block before the footer: unexpected table layout");
        }
        return t;
    }

    public byte[] value(String property) {
        for (BlockEntries.Entry e : properties) {
            if (new String(e.key(), StandardCharsets.UTF_8).equals(property)) {
                return e.value();
            }
        }
        return null;
    }

    public long number(String property, long absent) {
        byte[] v = value(property);
        return v == null ? absent : new ByteCursor(v, 0, v.length).varint64();
    }

    /** The properties with the numeric ones in {@code updates} replaced (varint64 values, as RocksDB writes them). */
    public List<BlockEntries.Entry> propertiesWith(Map<String, Long> updates) {
        List<BlockEntries.Entry> out = new ArrayList<>(properties.size());
        for (BlockEntries.Entry e : properties) {
            Long v = updates.get(new String(e.key(), StandardCharsets.UTF_8));
            if (v == null) {
                out.add(e);
            } else {
                ByteSink s = new ByteSink(10);
                s.varint64(v);
                out.add(e.withValue(s.toByteArray()));
            }
        }
        return out;
    }

    /** Every property, decoded for people: numbers as numbers, printable strings as text, the rest as hex. */
    public Map<String, String> describeProperties() {
        Map<String, String> m = new LinkedHashMap<>();
        for (BlockEntries.Entry e : properties) {
            String k = new String(e.key(), StandardCharsets.UTF_8);
            m.put(k, describe(k, e.value()));
        }
        return m;
    }

    private static String describe(String key, byte[] v) {
        boolean printable = v.length > 0;
        for (byte b : v) {
            printable &= b >= 32 && b < 127;
        }
        if (printable && v.length > 1) {
            return new String(v, StandardCharsets.US_ASCII);
        }
        if (key.equals(PROP_INDEX_TYPE) && v.length == 4) {
            return Integer.toString(ByteCursor.fixed32(v, 0));
        }
        try {
            ByteCursor c = new ByteCursor(v, 0, v.length);
            long n = c.varint64();
            if (!c.hasMore()) {
                return Long.toString(n);
            }
        } catch (BadTable ignored) {
            // not a varint: shown as hex
        }
        return "0x" + java.util.HexFormat.of().formatHex(v);
    }
}
