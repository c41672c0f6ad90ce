package statelab.savepoint;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.TypeSerializerSnapshot;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.state.IncrementalRemoteKeyedStateHandle;
import org.apache.flink.runtime.state.KeyGroupsStateHandle;
import org.apache.flink.runtime.state.KeyedBackendSerializationProxy;
import org.apache.flink.runtime.state.KeyedStateHandle;
import org.apache.flink.runtime.state.OperatorStateHandle;
import org.apache.flink.runtime.state.StreamStateHandle;
import org.apache.flink.runtime.state.filesystem.FileStateHandle;
import org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot;
import org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot.CommonOptionsKeys;
import org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot.CommonSerializerKeys;

/**
 * What a savepoint holds, as a user thinks of it: the checkpoint, its format, every operator (uid, name,
 * parallelism, max parallelism), every keyed state (kind, key and value type, from the serializer snapshots
 * stored in the savepoint), and every file (what it is, which RocksDB file it stands for, whose it is). Read with
 * Flink's own classes only; nothing is written.
 */
public final class SavepointSummary {
    private SavepointSummary() {}

    public record Summary(String savepoint, long checkpointId, String format, List<Operator> operators, List<FileInfo> files) {}

    /** One operator; {@code keyGroups} per subtask as "start-end" (keyed operators only). */
    public record Operator(String id, String uid, String name, int parallelism, int maxParallelism, List<String> keyGroups,
                           List<State> states, long bytes) {}

    /** One keyed state: name, kind (value, list, map, reducing, aggregating, timers) and its types. */
    public record State(String name, String kind, String keyType, String namespaceType, String valueType) {}

    /**
     * One file of the savepoint, or an inlined one ({@code file} null). {@code what}: sst, manifest, current,
     * options, keyed-metadata, operator-state, canonical-keyed-state, metadata, statelab-record, or unreferenced.
     */
    public record FileInfo(String file, long size, String what, String rocksdbName, String operator, Integer subtask) {}

    public static Summary of(SavepointLayout layout) {
        List<Operator> operators = new ArrayList<>();
        Map<String, FileInfo> files = new LinkedHashMap<>();
        List<FileInfo> inlined = new ArrayList<>();
        for (OperatorState op : layout.metadata().getOperatorStates()) {
            String label = op.getOperatorUid().orElse(op.getOperatorName().orElse(op.getOperatorID().toString()));
            List<String> keyGroups = new ArrayList<>();
            List<State> states = new ArrayList<>();
            for (Map.Entry<Integer, OperatorSubtaskState> sub : new java.util.TreeMap<>(op.getSubtaskStates()).entrySet()) {
                int subtask = sub.getKey();
                for (KeyedStateHandle keyed : sub.getValue().getManagedKeyedState()) {
                    keyGroups.add(keyed.getKeyGroupRange().getStartKeyGroup() + "-" + keyed.getKeyGroupRange().getEndKeyGroup());
                    if (keyed instanceof IncrementalRemoteKeyedStateHandle h) {
                        add(files, inlined, h.getMetaDataStateHandle(), "keyed-metadata", null, label, subtask);
                        if (states.isEmpty()) {
                            states = states(readProxy(h.getMetaDataStateHandle(), 0));
                        }
                    } else if (keyed instanceof KeyGroupsStateHandle h) {
                        add(files, inlined, h.getDelegateStateHandle(), "canonical-keyed-state", null, label, subtask);
                        if (states.isEmpty()) {
                            states = states(readProxy(h.getDelegateStateHandle(), 0));
                        }
                    }
                }
                for (OperatorStateHandle h : sub.getValue().getManagedOperatorState()) {
                    add(files, inlined, h.getDelegateStateHandle(), "operator-state", null, label, subtask);
                }
                for (OperatorStateHandle h : sub.getValue().getRawOperatorState()) {
                    add(files, inlined, h.getDelegateStateHandle(), "operator-state", null, label, subtask);
                }
            }
            operators.add(new Operator(op.getOperatorID().toString(), op.getOperatorUid().orElse(null), op.getOperatorName().orElse(null),
                    op.getParallelism(), op.getMaxParallelism(), keyGroups, states, op.getStateSize()));
        }
        for (SavepointLayout.StateFile f : layout.files()) {
            FileInfo info = new FileInfo(f.fileName(), f.size(), f.kind().name().toLowerCase(java.util.Locale.ROOT), f.rocksdbName(),
                    f.operatorLabel(), f.subtask());
            if (f.inline()) {
                inlined.add(info);
            } else {
                files.put(f.fileName(), info);
            }
        }
        List<FileInfo> all = new ArrayList<>();
        try (Stream<Path> list = Files.list(layout.dir())) {
            for (Path p : list.sorted().toList()) {
                String name = p.getFileName().toString();
                if (!Files.isRegularFile(p) || files.containsKey(name)) {
                    continue;
                }
                String what = name.equals(SavepointLayout.METADATA) ? "metadata"
                        : name.startsWith("_statelab") ? "statelab-record" : "unreferenced";
                files.put(name, new FileInfo(name, Files.size(p), what, null, null, null));
            }
        } catch (IOException e) {
            // the directory was readable a moment ago (its _metadata was read); list what _metadata says
        }
        all.addAll(files.values());
        all.addAll(inlined);
        return new Summary(layout.dir().toString(), layout.metadata().getCheckpointId(),
                layout.format().map(Enum::name).orElse("CHECKPOINT"), operators, all);
    }

    private static void add(Map<String, FileInfo> files, List<FileInfo> inlined, StreamStateHandle h, String what, String rocksdbName,
                            String operator, int subtask) {
        if (h == null) {
            return;
        }
        if (h instanceof FileStateHandle f) {
            String name = f.getFilePath().getName();
            files.putIfAbsent(name, new FileInfo(name, h.getStateSize(), what, rocksdbName, operator, subtask));
        } else {
            inlined.add(new FileInfo(null, h.getStateSize(), what, rocksdbName, operator, subtask));
        }
    }

    /** The keyed backend's meta data at {@code offset} of {@code handle}: serializer snapshots of key and states. */
    static KeyedBackendSerializationProxy<?> readProxy(StreamStateHandle handle, long offset) {
        try {
            return SavepointLayout.readKeyedMetaData(handle, offset);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    static List<State> states(KeyedBackendSerializationProxy<?> proxy) {
        if (proxy == null) {
            return List.of();
        }
        String keyType = type(proxy.getKeySerializerSnapshot());
        List<State> states = new ArrayList<>();
        for (StateMetaInfoSnapshot s : proxy.getStateMetaInfoSnapshots()) {
            boolean timers = s.getBackendStateType() == StateMetaInfoSnapshot.BackendStateType.PRIORITY_QUEUE;
            String kind = timers ? "timers" : String.valueOf(s.getOption(CommonOptionsKeys.KEYED_STATE_TYPE)).toLowerCase(java.util.Locale.ROOT);
            states.add(new State(s.getName(), kind, keyType,
                    timers ? null : type(s.getTypeSerializerSnapshot(CommonSerializerKeys.NAMESPACE_SERIALIZER)),
                    type(s.getTypeSerializerSnapshot(CommonSerializerKeys.VALUE_SERIALIZER))));
        }
        return states;
    }

    private static String type(TypeSerializerSnapshot<?> snapshot) {
        if (snapshot == null) {
            return null;
        }
        try {
            TypeSerializer<?> serializer = snapshot.restoreSerializer();
            return describe(serializer);
        } catch (RuntimeException | LinkageError e) {
            return "unknown (" + snapshot.getClass().getSimpleName() + ")";
        }
    }

    /** A serializer's type as a user reads it: String, Integer, List<String>, Map<String, Long>, Tuple2<…>, a POJO's class. */
    static String describe(TypeSerializer<?> s) {
        if (s instanceof org.apache.flink.api.common.typeutils.base.ListSerializer<?> l) {
            return "List<" + describe(l.getElementSerializer()) + ">";
        }
        if (s instanceof org.apache.flink.api.common.typeutils.base.MapSerializer<?, ?> m) {
            return "Map<" + describe(m.getKeySerializer()) + ", " + describe(m.getValueSerializer()) + ">";
        }
        if (s instanceof org.apache.flink.runtime.state.VoidNamespaceSerializer) {
            return "VoidNamespace";
        }
        return FlinkKeyCodec.typeName(s);
    }

    /** The summary as text for a person. */
    public static String plain(Summary s) {
        StringBuilder sb = new StringBuilder();
        sb.append("savepoint   ").append(s.savepoint()).append('\n');
        sb.append("checkpoint  ").append(s.checkpointId()).append(", format ").append(s.format()).append('\n');
        for (Operator op : s.operators()) {
            sb.append("operator    ").append(op.uid() != null ? op.uid() : op.id());
            if (op.name() != null && !op.name().equals(op.uid())) {
                sb.append(" (").append(op.name()).append(')');
            }
            sb.append(": id ").append(op.id()).append(", parallelism ").append(op.parallelism())
                    .append(", max parallelism ").append(op.maxParallelism());
            if (!op.keyGroups().isEmpty()) {
                sb.append(", key groups ").append(String.join(" ", op.keyGroups()));
            }
            sb.append(", ").append(op.bytes()).append(" bytes\n");
            for (State st : op.states()) {
                sb.append("  state     ").append(st.name()).append(": ").append(st.kind()).append(", key ").append(st.keyType());
                if (st.namespaceType() != null && !st.namespaceType().equals("VoidNamespace")) {
                    sb.append(", namespace ").append(st.namespaceType());
                }
                sb.append(", value ").append(st.valueType()).append('\n');
            }
        }
        Set<String> owners = new TreeSet<>();
        for (FileInfo f : s.files()) {
            String owner = f.operator() == null ? "" : f.operator() + " subtask " + f.subtask();
            owners.add(owner);
            sb.append(String.format("file        %-40s %10d  %s%s%s%n", f.file() == null ? "(inlined in _metadata)" : f.file(), f.size(), f.what(),
                    f.rocksdbName() != null ? " " + f.rocksdbName() : "", owner.isEmpty() ? "" : ", " + owner));
        }
        return sb.toString().stripTrailing();
    }

    /** Operators' labels: uid, else name, else id. */
    public static String labels(Summary s) {
        return s.operators().stream().map(o -> o.uid() != null ? o.uid() : o.name() != null ? o.name() : o.id()).collect(Collectors.joining(", "));
    }
}
