package statelab.savepoint;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.IdentityHashMap;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.IncrementalRemoteKeyedStateHandle;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.KeyedBackendSerializationProxy;
import org.apache.flink.runtime.state.KeyedStateHandle;
import statelab.cli.ExitCode;
import statelab.cli.Failure;

/**
 * The keyed state of a savepoint as a stream of decoded entries: per operator, per state, the entries of every
 * subtask in key order (subtasks by key-group range, so the stream of one state is sorted by RocksDB key across
 * subtasks). A native savepoint's subtask is read by RocksDB itself ({@link KeyedStateDb}), a canonical one's by
 * Flink's restore code ({@link CanonicalState}); both are decoded with the serializers restored from the
 * savepoint ({@link FlinkKeyCodec}). What does not decode is kept as hex with a note.
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

    /**
     * Receives the stream at each entry, undecoded (its raw key and value, its codec; {@link Stream#entry()} decodes
     * it); returns false to stop the scan. For a reader that decodes only what it needs ({@link EntryJson}).
     */
    @FunctionalInterface
    public interface StreamSink {
        boolean accept(Stream stream);
    }

    /** Which entries: by operator (uid, name or id), state name, and the key as printed; nulls mean all. */
    public record Filter(String operator, String state, String key) {
        public static final Filter ALL = new Filter(null, null, null);
    }

    /** One subtask's keyed state: its handle and, for a native savepoint, its RocksDB files. */
    public record Subtask(int index, KeyedStateHandle handle, List<SavepointLayout.StateFile> files) {
        public boolean canonical() {
            return handle instanceof KeyGroupsStateHandle;
        }
    }

    /** One operator with keyed state, its subtasks in key-group order. */
    public record OperatorState(String id, String uid, String name, int maxParallelism, List<Subtask> subtasks) {
        /** uid, else name, else id. */
        public String label() {
            return uid != null ? uid : name != null ? name : id;
        }

        public boolean isOf(String operator) {
            return operator.equals(uid) || operator.equals(name) || operator.equals(id);
        }
    }

    private final SavepointLayout layout;
    private final Map<KeyedStateHandle, KeyedBackendSerializationProxy<?>> proxies = new IdentityHashMap<>();
    private final Map<KeyedStateHandle, Map<String, FlinkKeyCodec>> codecs = new IdentityHashMap<>();

    public StateScan(SavepointLayout layout) {
        this.layout = layout;
    }

    /** The operators with keyed state (native or canonical), in the order of {@code _metadata}. */
    public List<OperatorState> operators() {
        List<OperatorState> out = new ArrayList<>();
        for (org.apache.flink.runtime.checkpoint.OperatorState op : layout.metadata().getOperatorStates()) {
            List<Subtask> subtasks = new ArrayList<>();
            for (Map.Entry<Integer, OperatorSubtaskState> sub : new TreeMap<>(op.getSubtaskStates()).entrySet()) {
                for (KeyedStateHandle h : sub.getValue().getManagedKeyedState()) {
                    if (h instanceof IncrementalRemoteKeyedStateHandle || h instanceof KeyGroupsStateHandle) {
                        List<SavepointLayout.StateFile> files = layout.files().stream().filter(f -> f.keyedHandle() == h).toList();
                        subtasks.add(new Subtask(sub.getKey(), h, files));
                    }
                }
            }
            if (!subtasks.isEmpty()) {
                subtasks.sort(Comparator.comparingInt(s -> s.handle().getKeyGroupRange().getStartKeyGroup()));
                out.add(new OperatorState(op.getOperatorID().toString(), op.getOperatorUid().orElse(null), op.getOperatorName().orElse(null),
                        op.getMaxParallelism(), List.copyOf(subtasks)));
            }
        }
        return out;
    }

    /**
     * Scans the entries that {@code filter} selects, in order, into {@code sink}. {@link Failure} when the filter
     * names an operator or state the savepoint does not have (listing the ones it has), or the state cannot be read.
     */
    public void scan(Filter filter, Sink sink) {
        scanStreams(filter, stream -> {
            Entry e = stream.entry();
            return filter.key() != null && !filter.key().equals(String.valueOf(e.key())) || sink.accept(e, stream.key(), stream.value());
        });
    }

    /**
     * As {@link #scan}, each entry handed over undecoded: the operator and state filters apply, the key filter does
     * not (it needs the key decoded: {@link #scan} applies it).
     */
    public void scanStreams(Filter filter, StreamSink sink) {
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
                            if (!sink.accept(stream)) {
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
        List<OperatorState> chosen = operators.stream().filter(o -> o.isOf(filter.operator())).toList();
        if (chosen.isEmpty()) {
            throw Failure.of(ExitCode.NOT_FOUND, "no operator '%s' with keyed state in %s; operators with keyed state: %s",
                    filter.operator(), layout.dir(), String.join(", ", operators.stream().map(OperatorState::label).toList()));
        }
        return chosen;
    }

    /** Opens every subtask's keyed state of {@code op} (closed together). */
    public Opened open(OperatorState op) {
        List<StateSource> sources = new ArrayList<>();
        try {
            for (Subtask s : op.subtasks()) {
                String label = op.label() + " subtask " + s.index();
                sources.add(s.canonical() ? CanonicalState.read((KeyGroupsStateHandle) s.handle(), proxy(s), label) : KeyedStateDb.open(s.files()));
            }
        } catch (RuntimeException e) {
            sources.forEach(StateSource::close);
            throw e;
        }
        return new Opened(op, sources);
    }

    /** The keyed backend's meta data of a subtask: the key serializer and every state's serializers (null: unreadable). */
    public KeyedBackendSerializationProxy<?> proxy(Subtask s) {
        return proxies.computeIfAbsent(s.handle(), h -> h instanceof IncrementalRemoteKeyedStateHandle i
                ? SavepointSummary.readProxy(i.getMetaDataStateHandle(), 0)
                : SavepointSummary.readProxy(((KeyGroupsStateHandle) h).getDelegateStateHandle(), 0));
    }

    /** One operator's subtasks, open: its states, and each state's entries across subtasks in key order. */
    public final class Opened implements AutoCloseable {
        private final OperatorState op;
        private final List<StateSource> sources;

        private Opened(OperatorState op, List<StateSource> sources) {
            this.op = op;
            this.sources = sources;
        }

        public OperatorState operator() {
            return op;
        }

        /** The states any subtask has, sorted by name. */
        public List<String> states() {
            TreeSet<String> states = new TreeSet<>();
            sources.forEach(s -> states.addAll(s.states()));
            return List.copyOf(states);
        }

        public Stream stream(String state) {
            return new Stream(this, state);
        }

        /** The value of raw {@code key} of {@code state} (null: none), from whichever subtask has it. */
        public byte[] get(String state, byte[] key) {
            for (StateSource s : sources) {
                byte[] v = s.get(state, key);
                if (v != null) {
                    return v;
                }
            }
            return null;
        }

        /** The codec of {@code state} (from the first subtask's meta data; all subtasks share the job's types). */
        public FlinkKeyCodec codec(String state) {
            return StateScan.this.codec(op, op.subtasks().get(0), state);
        }

        @Override
        public void close() {
            sources.forEach(StateSource::close);
        }
    }

    /** The entries of one state of one operator, subtask after subtask (key-group order): sorted by RocksDB key. */
    public final class Stream implements AutoCloseable {
        private final Opened opened;
        private final String state;
        private int subtask = -1;
        private StateSource.Cursor cursor;
        private FlinkKeyCodec codec;

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
                if (++subtask >= opened.sources.size()) {
                    return false;
                }
                StateSource source = opened.sources.get(subtask);
                if (source.states().contains(state)) {
                    codec = StateScan.this.codec(opened.op, opened.op.subtasks().get(subtask), state);
                    cursor = source.scan(state);
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

        /** The operator's label (uid, else name, else id). */
        public String operatorLabel() {
            return opened.op.label();
        }

        /** The index of the subtask whose entry is the current one. */
        public int subtaskIndex() {
            return opened.op.subtasks().get(subtask).index();
        }

        public String state() {
            return state;
        }

        /** The current entry, decoded. */
        public Entry entry() {
            return decode(operatorLabel(), subtaskIndex(), state, codec, cursor.key(), cursor.value());
        }

        @Override
        public void close() {
            if (cursor != null) {
                cursor.close();
                cursor = null;
            }
        }
    }

    /** The codec for {@code state} of subtask {@code s}, from its keyed backend's meta data. */
    public FlinkKeyCodec codec(OperatorState op, Subtask s, String state) {
        return codecs.computeIfAbsent(s.handle(), h -> new HashMap<>())
                .computeIfAbsent(state, k -> FlinkKeyCodec.forState(proxy(s), state, op.maxParallelism()));
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

    /** The subtask of {@code op} whose key-group range holds {@code keyGroup}, or null. */
    public static Subtask subtaskOf(OperatorState op, int keyGroup) {
        return op.subtasks().stream().filter(s -> s.handle().getKeyGroupRange().contains(keyGroup)).findFirst().orElse(null);
    }
}
