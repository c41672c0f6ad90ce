package statelab.sst.format;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** A readable account of a table's layout (and optionally of every internal entry), for bench/blockcopy/InspectSst.java. */
public final class TableDump {
    private final Map<String, Object> summary = new LinkedHashMap<>();

    public static TableDump of(Path sst, boolean entries, PrintWriter out) throws IOException {
        TableDump d = new TableDump();
        try (FileChannel ch = FileChannel.open(sst)) {
            BlockBasedTable t = BlockBasedTable.read(ch);
            Map<String, Object> s = d.summary;
            s.put("file", sst.toString());
            s.put("size", t.fileSize);
            s.put("formatVersion", t.footer.formatVersion());
            s.put("checksum", StoredBlock.checksumName(t.footer.checksumType()));
            s.put("dataBlocks", t.index.size());
            s.put("dataEnd", t.dataEnd());
            Map<String, Object> index = new LinkedHashMap<>();
            index.put("offset", t.footer.index().offset());
            index.put("size", t.footer.index().size());
            index.put("uncompressed", t.indexBlock.contents().length);
            index.put("compression", StoredBlock.compressionName(t.indexBlock.compression()));
            index.put("valueDeltaEncoded", t.indexValueDeltaEncoded);
            s.put("indexBlock", index);
            Map<String, String> tail = new LinkedHashMap<>();
            for (BlockBasedTable.TailBlock b : t.tail()) {
                tail.put(b.name(), b.handle().offset() + "+" + b.handle().size());
            }
            s.put("tail", tail);
            s.put("properties", t.describeProperties());
            if (entries) {
                s.put("entryTypes", dumpEntries(ch, t, out));
            }
        }
        return d;
    }

    private static Map<String, Long> dumpEntries(FileChannel ch, BlockBasedTable t, PrintWriter out) throws IOException {
        Map<String, Long> types = new TreeMap<>();
        HexFormat hex = HexFormat.of();
        for (int i = 0; i < t.index.size(); i++) {
            StoredBlock.Decoded b = StoredBlock.read(ch, t.index.handle(i), t.footer.checksumType(), "data block " + i);
            List<BlockEntries.Entry> es = BlockEntries.parse(b.contents(), "data block " + i);
            for (BlockEntries.Entry e : es) {
                int type = InternalKey.type(e.key());
                types.merge(InternalKey.typeName(type), 1L, Long::sum);
                out.println(hex.formatHex(InternalKey.userKey(e.key())) + " " + InternalKey.sequence(e.key()) + " "
                        + InternalKey.typeName(type) + " " + hex.formatHex(e.value()));
            }
        }
        out.flush();
        return types;
    }

    public Map<String, Object> summary() {
        return summary;
    }

    public String describe() {
        StringBuilder sb = new StringBuilder();
        summary.forEach((k, v) -> {
            if (v instanceof Map<?, ?> m) {
                sb.append(k).append(":\n");
                m.forEach((mk, mv) -> sb.append("  ").append(mk).append(" = ").append(mv).append('\n'));
            } else {
                sb.append(k).append(" = ").append(v).append('\n');
            }
        });
        return sb.toString().stripTrailing();
    }
}
