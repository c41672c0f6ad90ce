package statelab.savepoint;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.flink.runtime.state.IncrementalRemoteKeyedStateHandle;
import org.apache.flink.runtime.state.KeyedBackendSerializationProxy;
import statelab.cli.ExitCode;
import statelab.cli.Failure;

/**
 * The keyed state of a native savepoint as a stream of decoded entries: per operator, per state (RocksDB column
 * family), the entries of every subtask in key order (subtasks by key-group range, so the stream of one state is
 * sorted by RocksDB key across subtasks), each read by RocksDB itself ({@link KeyedStateDb}) and decoded with the
 * serializers restored from the savepoint ({@link FlinkKeyCodec}). What does not decode is kept as hex with a note.
 */
public final class StateScan {
    /** One live entry: where it is, what it says, and its bytes. {@code note} says why a part stayed hex. */
    public record Entry(String operator, int subtask, String state, Integer keyGroup, Object key, Object namespace,
                        Object mapKey, Object value, String keyHex, String valueHex, String note) {}

    /** Receives entries in order; returns false to stop the scan. */
    @FunctionalInterface
    public interface Sink {
        boolean accept(Entry entry, byte[] key, byte[] value);
    }

    /** Which entries: by operator (uid, name or id), state name, and the key as printed; nulls mean all. */
    public record Filter(String operator, String state, String key) {
        public static final Filter ALL = new Filter(null, null, null);
    }

    private final SavepointLayout layout;

    public StateScan(SavepointLayout layout) {
        this.layout = layout;
    }

    /** One operator's keyed state: its subtasks' files in key-group order. */
    public record OperatorState(String label, int maxParallelism, List<List<SavepointLayout.StateFile>> subtasks) {}

    /** The operators with RocksDB keyed state, in the order of {@code _metadata}. */
    public List<OperatorState> operators() {
        Map<String, List<List<SavepointLayout.StateFile>>> by = new LinkedHashMap<>();
        Map<String, Integer> maxParallelism = new LinkedHashMap<>();
        for (List<SavepointLayout.StateFile> files : KeyedStateDb.byHandle(layout.files()).values()) {
            SavepointLayout.StateFile f = files.get(0);
            by.computeIfAbsent(f.operatorLabel(), k -> new ArrayList<>()).add(files);
            maxParallelism.put(f.operatorLabel(), f.maxParallelism());
        }
        List<OperatorState> out = new ArrayList<>();
        by.forEach((label, subtasks) -> {
            subtasks.sort(Comparator.comparingInt(files -> files.get(0).keyedHandle().getKeyGroupRange().getStartKeyGroup()));
            out.add(new OperatorState(label, maxParallelism.get(label), subtasks));
        });
        return out;
    }

    /**
     * Scans the entries that {@code filter} selects, in order, into {@code sink}. {@link Failure} when the filter
     * names an operator or state the savepoint does not have (listing the ones it has), or RocksDB cannot read.
     */
    public void scan(Filter filter, Sink sink) {
        List<OperatorState> operators = selected(filter);
        TreeSet<String> allStates = new TreeSet<>();
        boolean stateSeen = false;
        for (OperatorState op : operators) {
            try (Opened opened = open(op)) {
                allStates.addAll(opened.states());
                for (String state : opened.states()) {
                    if (filter.state() != null && !filter.state().equals(state)) {
                        continue;
                    }
                    stateSeen = true;
                    try (Stream stream = opened.stream(state)) {
                        while (stream.next()) {
                            Entry e = stream.entry();
                            if (filter.key() != null && !filter.key().equals(String.valueOf(e.key()))) {
                                continue;
                            }
                            if (!sink.accept(e, stream.key(), stream.value())) {
                                return;
                            }
                        }
                    }
                }
            }
        }
        if (filter.state() != null && !stateSeen) {
            throw Failure.of(ExitCode.NOT_FOUND, "no keyed state '%s' in %s; its states: %s", filter.state(), layout.dir(),
                    allStates.isEmpty() ? "none" : String.join(", ", allStates));
        }
    }

    /** The operators {@code filter} names (all without one); {@link Failure} listing the operators when none matches. */
    public List<OperatorState> selected(Filter filter) {
        List<OperatorState> operators = operators();
        if (filter.operator() == null) {
            return operators;
        }
        List<OperatorState> chosen = operators.stream().filter(o -> isOf(o, filter.operator())).toList();
        if (chosen.isEmpty()) {
            throw Failure.of(ExitCode.NOT_FOUND, "no operator '%s' with keyed state in %s; operators with keyed state: %s",
                    filter.operator(), layout.dir(), String.join(", ", operators.stream().map(OperatorState::label).toList()));
        }
        return chosen;
    }

    /** Opens every subtask's keyed state of {@code op} (closed together). */
    public Opened open(OperatorState op) {
        List<KeyedStateDb> dbs = new ArrayList<>();
        try {
            for (List<SavepointLayout.StateFile> files : op.subtasks()) {
                dbs.add(KeyedStateDb.open(files));
            }
        } catch (RuntimeException e) {
            dbs.forEach(KeyedStateDb::close);
            throw e;
        }
        return new Opened(op, dbs);
    }

    /** One operator's subtasks, open: its states, and each state's entries across subtasks in key order. */
    public final class Opened implements AutoCloseable {
        private final OperatorState op;
        private final List<KeyedStateDb> dbs;

        private Opened(OperatorState op, List<KeyedStateDb> dbs) {
            this.op = op;
            this.dbs = dbs;
        }

        public OperatorState operator() {
            return op;
        }

        /** The states (column families) any subtask has, sorted by name. */
        public List<String> states() {
            TreeSet<String> states = new TreeSet<>();
            dbs.forEach(db -> states.addAll(db.states()));
            return List.copyOf(states);
        }

        public Stream stream(String state) {
            return new Stream(this, state);
        }

        /** The value RocksDB reads for raw {@code key} of {@code state} (null: none), from whichever subtask has it. */
        public byte[] get(String state, byte[] key) {
            for (KeyedStateDb db : dbs) {
                byte[] v = db.get(state, key);
                if (v != null) {
                    return v;
                }
            }
            return null;
        }

        /** The codec of {@code state} (from the first subtask's meta data; all subtasks share the job's types). */
        public FlinkKeyCodec codec(String state) {
            return StateScan.this.codec(op.subtasks().get(0).get(0), state);
        }

        @Override
        public void close() {
            dbs.forEach(KeyedStateDb::close);
        }
    }

    /** The entries of one state of one operator, subtask after subtask (key-group order): sorted by RocksDB key. */
    public final class Stream implements AutoCloseable {
        private final Opened opened;
        private final String state;
        private int subtask = -1;
        private KeyedStateDb.Cursor cursor;
        private FlinkKeyCodec codec;
        private SavepointLayout.StateFile file;

        private Stream(Opened opened, String state) {
            this.opened = opened;
            this.state = state;
        }

        /** Moves to the next entry; false at the end. */
        public boolean next() {
            while (true) {
                if (cursor != null && cursor.next()) {
                    return true;
                }
                if (cursor != null) {
                    cursor.close();
                    cursor = null;
                }
                if (++subtask >= opened.dbs.size()) {
                    return false;
                }
                KeyedStateDb db = opened.dbs.get(subtask);
                if (db.states().contains(state)) {
                    file = opened.op.subtasks().get(subtask).get(0);
                    codec = StateScan.this.codec(file, state);
                    cursor = db.scan(state);
                }
            }
        }

        public byte[] key() {
            return cursor.key();
        }

        public byte[] value() {
            return cursor.value();
        }

        public FlinkKeyCodec codec() {
            return codec;
        }

        /** The current entry, decoded. */
        public Entry entry() {
            return decode(file.operatorLabel(), file.subtask(), state, codec, cursor.key(), cursor.value());
        }

        @Override
        public void close() {
            if (cursor != null) {
                cursor.close();
                cursor = null;
            }
        }
    }

    /** The codec for {@code state} of the subtask {@code f} belongs to, from its keyed backend's meta data. */
    public FlinkKeyCodec codec(SavepointLayout.StateFile f, String state) {
        KeyedBackendSerializationProxy<?> meta = layout.keyedMetaData(f);
        return FlinkKeyCodec.forState(meta, state, f.maxParallelism());
    }

    /** Decodes one entry; what does not decode stays hex, and {@code note} says why. */
    public static Entry decode(String operator, int subtask, String state, FlinkKeyCodec codec, byte[] key, byte[] value) {
        String keyHex = FlinkKeyCodec.hex(key);
        String valueHex = FlinkKeyCodec.hex(value);
        Integer keyGroup = null;
        Object k = keyHex;
        Object ns = null;
        Object mapKey = null;
        Object v = valueHex;
        List<String> notes = new ArrayList<>();
        try {
            FlinkKeyCodec.Key decoded = codec.decodeKey(key);
            keyGroup = decoded.keyGroup();
            k = plain(decoded.key());
            ns = plain(decoded.namespace());
            mapKey = plain(decoded.userKey());
            if (decoded.unread() > 0) {
                notes.add("key: " + decoded.unread() + " bytes after the namespace not decoded");
            }
        } catch (Exception | LinkageError e) {
            notes.add("key not decoded (" + reason(e) + "), shown as hex");
        }
        try {
            v = plain(codec.decodeValue(value));
        } catch (Exception | LinkageError e) {
            notes.add("value not decoded (" + reason(e) + "), shown as hex");
        }
        return new Entry(operator, subtask, state, keyGroup, k, ns, mapKey, v, keyHex, valueHex,
                notes.isEmpty() ? null : String.join("; ", notes));
    }

    /** A value as JSON can carry it: strings, numbers, booleans and lists as they are; anything else as its text. */
    static Object plain(Object o) {
        if (o == null || o instanceof String || o instanceof Number || o instanceof Boolean) {
            return o;
        }
        if (o instanceof Character c) {
            return c.toString();
        }
        if (o instanceof List<?> list) {
            return list.stream().map(StateScan::plain).toList();
        }
        if (o instanceof byte[] b) {
            return FlinkKeyCodec.hex(b);
        }
        return String.valueOf(o);
    }

    private static String reason(Throwable e) {
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : m.replaceAll("\\s+", " ");
    }

    private static boolean isOf(OperatorState op, String name) {
        return op.subtasks().get(0).get(0).isOf(name);
    }

    /** The handle of the subtask whose key-group range holds {@code keyGroup}, among {@code op}'s. */
    public static List<SavepointLayout.StateFile> subtaskOf(OperatorState op, int keyGroup) {
        for (List<SavepointLayout.StateFile> files : op.subtasks()) {
            IncrementalRemoteKeyedStateHandle h = files.get(0).keyedHandle();
            if (h.getKeyGroupRange().contains(keyGroup)) {
                return files;
            }
        }
        return null;
    }
}
