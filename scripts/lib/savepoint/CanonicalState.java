package statelab.savepoint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.KeyedBackendSerializationProxy;
import org.apache.flink.runtime.state.StateSerializerProvider;
import org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot;
import org.apache.flink.runtime.state.restore.FullSnapshotRestoreOperation;
import org.apache.flink.runtime.state.restore.KeyGroup;
import org.apache.flink.runtime.state.restore.KeyGroupEntry;
import org.apache.flink.runtime.state.restore.SavepointRestoreResult;
import org.apache.flink.runtime.state.restore.ThrowingIterator;
import statelab.cli.ExitCode;
import statelab.cli.Failure;

/**
 * One subtask's keyed state of a canonical savepoint: Flink's own format (the serializers' meta data, then the
 * key groups' entries), read with Flink's {@link FullSnapshotRestoreOperation}, the code a backend restores it
 * with. Its entries carry the same keys and values RocksDB holds (key group, key, namespace; values as stored).
 * The stream is ordered by key group, then state, so it is read whole and kept sorted per state: memory grows
 * with the subtask's state, unlike a native savepoint's.
 */
public final class CanonicalState implements StateSource {
    private final Map<String, NavigableMap<byte[], byte[]>> states = new LinkedHashMap<>();

    private CanonicalState() {}

    @SuppressWarnings({"unchecked", "rawtypes"})
    public static CanonicalState read(KeyGroupsStateHandle handle, KeyedBackendSerializationProxy<?> proxy, String label) {
        if (proxy == null) {
            throw Failure.of(ExitCode.BAD_STATE, "the keyed state of %s is not readable as Flink's canonical format", label);
        }
        CanonicalState state = new CanonicalState();
        try {
            TypeSerializer<?> keySerializer = proxy.getKeySerializerSnapshot().restoreSerializer();
            FullSnapshotRestoreOperation<?> op = new FullSnapshotRestoreOperation<>(handle.getKeyGroupRange(),
                    CanonicalState.class.getClassLoader(), List.of(handle),
                    StateSerializerProvider.fromNewRegisteredSerializer((TypeSerializer) keySerializer));
            try (ThrowingIterator<SavepointRestoreResult> results = op.restore()) {
                while (results.hasNext()) {
                    SavepointRestoreResult result = results.next();
                    List<String> names = new ArrayList<>();
                    for (StateMetaInfoSnapshot s : result.getStateMetaInfoSnapshots()) {
                        names.add(s.getName());
                        state.states.computeIfAbsent(s.getName(), k -> new TreeMap<>(Arrays::compareUnsigned));
                    }
                    try (ThrowingIterator<KeyGroup> groups = result.getRestoredKeyGroups()) {
                        while (groups.hasNext()) {
                            KeyGroup group = groups.next();
                            try (ThrowingIterator<KeyGroupEntry> entries = group.getKeyGroupEntries()) {
                                while (entries.hasNext()) {
                                    KeyGroupEntry e = entries.next();
                                    state.states.get(names.get(e.getKvStateId())).put(e.getKey(), e.getValue());
                                }
                            }
                        }
                    }
                }
            }
        } catch (Exception | LinkageError e) {
            throw Failure.of(ExitCode.BAD_STATE, "cannot read the canonical keyed state of %s: %s", label,
                    String.valueOf(e.getMessage()).replaceAll("\\s+", " "));
        }
        return state;
    }

    @Override
    public List<String> states() {
        return List.copyOf(states.keySet());
    }

    @Override
    public byte[] get(String state, byte[] key) {
        NavigableMap<byte[], byte[]> m = states.get(state);
        return m == null ? null : m.get(key);
    }

    @Override
    public Cursor scan(String state) {
        Iterator<Map.Entry<byte[], byte[]>> it = states.getOrDefault(state, new TreeMap<>()).entrySet().iterator();
        return new Cursor() {
            private Map.Entry<byte[], byte[]> current;

            @Override
            public boolean next() {
                current = it.hasNext() ? it.next() : null;
                return current != null;
            }

            @Override
            public byte[] key() {
                return current.getKey();
            }

            @Override
            public byte[] value() {
                return current.getValue();
            }

            @Override
            public void close() {}
        };
    }

    @Override
    public void close() {
        states.clear();
    }
}
