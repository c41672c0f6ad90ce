package statelab.savepoint;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;
import statelab.flink.TamperLog;

/**
 * The proof of what a restored job runs on: every key a tamper changed (recorded in the tampered savepoint's
 * {@link TamperLog}), looked up in a savepoint taken of the job after it restored. A key holding the tampered value
 * is {@code altered} (Flink runs on it), one holding its value from before the tamper is {@code original}, and one
 * holding neither was written by the job since the restore: {@code written-since-restore}, no proof either way.
 */
public final class RestoreProof {
    private static final HexFormat HEX = HexFormat.of();

    private RestoreProof() {}

    public static final String ALTERED = "altered";
    public static final String ORIGINAL = "original";
    public static final String WRITTEN_SINCE = "written-since-restore";

    /** One key: where, its status, and its value before the tamper, as tampered, and now (decoded; null: no value). */
    public record KeyProof(String operator, String state, Object key, String status, Object original, Object tampered, Object now,
                           String keyHex, String originalHex, String tamperedHex, String nowHex) {}

    /**
     * The proof: the savepoint taken after the restore, the counts by status, and every key. {@code unreadable}: why
     * that savepoint's state could not be read (the restored job carries files RocksDB refuses to read: a corruption
     * Flink restored without reading it), null when it was read.
     */
    public record Proof(String savepoint, int altered, int original, int writtenSinceRestore, List<KeyProof> keys, String unreadable) {
        /** A savepoint of the restored job whose state RocksDB refuses to read, and why. */
        public static Proof unreadable(String savepoint, String why) {
            return new Proof(savepoint, 0, 0, 0, List.of(), why);
        }

        /** E.g. {@code 5 of 5 altered keys hold the tampered values: zzy=99 zzz=99}. */
        public String summary() {
            if (unreadable != null) {
                return "the job runs on state that cannot be read: a savepoint of it fails with " + unreadable;
            }
            int n = keys.size();
            if (n == 0) {
                return "the tamper recorded no keys to check";
            }
            String shown = keys.stream().filter(k -> k.status().equals(altered > 0 ? ALTERED : ORIGINAL)).limit(5)
                    .map(k -> k.key() + "=" + (k.now() == null ? "(none)" : k.now())).collect(Collectors.joining(" "));
            if (altered > 0) {
                return altered + " of " + n + " altered keys hold the tampered values: " + shown + tail(n - altered - writtenSinceRestore, written());
            }
            if (original > 0) {
                return original + " of " + n + " altered keys hold their original values: " + shown + tail(0, written());
            }
            return "all " + n + " altered keys were written by the job since the restore: no proof either way";
        }

        private String written() {
            return writtenSinceRestore > 0 ? writtenSinceRestore + " written by the job since the restore" : "";
        }

        private static String tail(int original, String written) {
            List<String> parts = new ArrayList<>();
            if (original > 0) {
                parts.add(original + " original");
            }
            if (!written.isEmpty()) {
                parts.add(written);
            }
            return parts.isEmpty() ? "" : " (" + String.join(", ", parts) + ")";
        }
    }

    /**
     * Looks up every key {@code tampered}'s log records in savepoint {@code after} (read by RocksDB, decoded with
     * its serializers). A key changed twice counts once: its value before the first change, after the last.
     */
    public static Proof check(Path tampered, Path after) {
        Map<String, String[]> net = new LinkedHashMap<>(); // operator \0 state \0 key -> {original, tampered}
        for (TamperLog.Entry e : TamperLog.withChanges(tampered)) {
            for (TamperLog.Change c : e.changes()) {
                String id = e.operator() + "\0" + e.state() + "\0" + c.keyHex();
                String[] was = net.get(id);
                net.put(id, new String[] {was == null ? c.oldHex() : was[0], c.newHex()});
            }
        }
        SavepointLayout layout = SavepointLayout.load(after);
        StateScan scan = new StateScan(layout);
        Map<String, StateScan.OperatorState> operators = new LinkedHashMap<>();
        scan.operators().forEach(o -> operators.put(o.label(), o));
        Map<String, StateScan.Opened> opened = new LinkedHashMap<>();
        List<KeyProof> keys = new ArrayList<>();
        int altered = 0;
        int original = 0;
        int written = 0;
        try {
            for (Map.Entry<String, String[]> n : net.entrySet()) {
                String[] id = n.getKey().split("\0", 3);
                String originalHex = n.getValue()[0];
                String tamperedHex = n.getValue()[1];
                if (Objects.equals(originalHex, tamperedHex)) {
                    continue; // the tamper wrote the value the key had: nothing to tell apart
                }
                StateScan.OperatorState op = operators.get(id[0]);
                StateScan.Opened o = op == null ? null : opened.computeIfAbsent(id[0], k -> scan.open(op));
                byte[] key = HEX.parseHex(id[2]);
                byte[] now = o == null || !o.states().contains(id[1]) ? null : o.get(id[1], key);
                String nowHex = now == null ? null : HEX.formatHex(now);
                String status = Objects.equals(nowHex, tamperedHex) ? ALTERED : Objects.equals(nowHex, originalHex) ? ORIGINAL : WRITTEN_SINCE;
                switch (status) {
                    case ALTERED -> altered++;
                    case ORIGINAL -> original++;
                    default -> written++;
                }
                FlinkKeyCodec codec = o == null || !o.states().contains(id[1]) ? null : o.codec(id[1]);
                keys.add(new KeyProof(id[0], id[1], decodeKey(codec, key), status, decodeValue(codec, originalHex),
                        decodeValue(codec, tamperedHex), decodeValue(codec, nowHex), id[2], originalHex, tamperedHex, nowHex));
            }
        } finally {
            opened.values().forEach(StateScan.Opened::close);
        }
        return new Proof(after.toString(), altered, original, written, keys, null);
    }

    private static Object decodeKey(FlinkKeyCodec codec, byte[] key) {
        if (codec == null) {
            return HEX.formatHex(key);
        }
        try {
            FlinkKeyCodec.Key k = codec.decodeKey(key);
            Object shown = StateScan.plain(k.key());
            return k.userKey() == null ? shown : shown + "/" + StateScan.plain(k.userKey());
        } catch (Exception | LinkageError e) {
            return HEX.formatHex(key);
        }
    }

    private static Object decodeValue(FlinkKeyCodec codec, String hex) {
        if (hex == null) {
            return null;
        }
        if (codec == null) {
            return hex;
        }
        try {
            return StateScan.plain(codec.decodeValue(HEX.parseHex(hex)));
        } catch (Exception | LinkageError e) {
            return hex;
        }
    }
}
