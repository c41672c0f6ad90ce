package statelab.savepoint;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.core.fs.FSDataInputStream;
import org.apache.flink.core.memory.DataInputViewStreamWrapper;
import org.apache.flink.runtime.checkpoint.Checkpoints;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.SavepointType;
import org.apache.flink.runtime.checkpoint.metadata.CheckpointMetadata;
import org.apache.flink.runtime.state.IncrementalKeyedStateHandle.HandleAndLocalPath;
import org.apache.flink.runtime.state.IncrementalRemoteKeyedStateHandle;
import org.apache.flink.runtime.state.KeyedBackendSerializationProxy;
import org.apache.flink.runtime.state.KeyedStateHandle;
import org.apache.flink.runtime.state.StreamStateHandle;
import org.apache.flink.runtime.state.filesystem.FileStateHandle;
import org.apache.flink.runtime.state.memory.ByteStreamStateHandle;
import statelab.cli.ExitCode;
import statelab.cli.Failure;

/**
 * Which file of a savepoint is which. A native savepoint's files have UUID names; only {@code _metadata} says
 * that {@code a48137dc-...} is RocksDB's {@code 000015.sst} of subtask 0 of operator {@code word-counter}, and
 * that files below {@code execution.checkpointing.data-inline-threshold} are not files at all but bytes inside
 * {@code _metadata}. This class reads {@code _metadata} with Flink's own {@link Checkpoints} and can write it
 * back after an inlined file changed.
 */
public final class SavepointLayout {
    public static final String METADATA = "_metadata";
    private static final Pattern FILE_NUMBER = Pattern.compile("(\\d+)");

    public enum Kind { SST, MANIFEST, CURRENT, OPTIONS, OTHER }

    /**
     * One RocksDB file of one subtask's keyed state.
     *
     * @param rocksdbName the file's name in the RocksDB instance ({@code 000015.sst}, {@code MANIFEST-000005})
     * @param fileName the file's name in the savepoint directory, or null when it is inlined in {@code _metadata}
     */
    public record StateFile(String operatorId, String operatorUid, String operatorName, int subtask, int maxParallelism,
                            String rocksdbName, Kind kind, String fileName, Path path, long size,
                            HandleAndLocalPath entry, IncrementalRemoteKeyedStateHandle keyedHandle) {
        public boolean inline() {
            return fileName == null;
        }

        public long fileNumber() {
            Matcher m = FILE_NUMBER.matcher(rocksdbName);
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        }

        /** The file's bytes when it is inlined in _metadata. */
        public byte[] inlineBytes() {
            return ((ByteStreamStateHandle) entry.getHandle()).getData();
        }

        public String describe() {
            return rocksdbName + " of " + operatorLabel() + " subtask " + subtask
                    + (inline() ? " (inlined in _metadata)" : " (file " + fileName + ")");
        }

        /** Whether this file is of {@code operator}, named by its uid, name or id. */
        public boolean isOf(String operator) {
            return operator.equals(operatorUid) || operator.equals(operatorName) || operator.equals(operatorId);
        }

        public String operatorLabel() {
            return operatorUid != null ? operatorUid : operatorName != null ? operatorName : operatorId;
        }
    }

    private final Path dir;
    private final CheckpointMetadata metadata;
    private final List<StateFile> files;

    private SavepointLayout(Path dir, CheckpointMetadata metadata, List<StateFile> files) {
        this.dir = dir;
        this.metadata = metadata;
        this.files = files;
    }

    /** Reads {@code dir/_metadata}; fails with a clear message when it is missing or not Flink's. */
    public static SavepointLayout load(Path dir) {
        Path file = dir.resolve(METADATA);
        if (!Files.isRegularFile(file)) {
            throw Failure.of(ExitCode.NOT_FOUND, "%s is not a savepoint: it has no %s", dir, METADATA);
        }
        CheckpointMetadata metadata;
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            metadata = Checkpoints.loadCheckpointMetadata(in, SavepointLayout.class.getClassLoader(), dir.toUri().toString());
        } catch (IOException | RuntimeException e) {
            throw Failure.of(ExitCode.BAD_STATE, "%s is not readable as Flink checkpoint metadata: %s", file, e.getMessage());
        }
        List<StateFile> files = new ArrayList<>();
        for (OperatorState op : metadata.getOperatorStates()) {
            for (Map.Entry<Integer, OperatorSubtaskState> sub : op.getSubtaskStates().entrySet()) {
                for (KeyedStateHandle keyed : sub.getValue().getManagedKeyedState()) {
                    if (keyed instanceof IncrementalRemoteKeyedStateHandle h) {
                        Stream.concat(h.getSharedState().stream(), h.getPrivateState().stream())
                                .forEach(e -> files.add(stateFile(op, sub.getKey(), h, e)));
                    }
                }
            }
        }
        return new SavepointLayout(dir, metadata, files);
    }

    private static StateFile stateFile(OperatorState op, int subtask, IncrementalRemoteKeyedStateHandle keyed, HandleAndLocalPath e) {
        String name = e.getLocalPath();
        Kind kind = name.endsWith(".sst") ? Kind.SST : name.startsWith("MANIFEST") ? Kind.MANIFEST
                : name.equals("CURRENT") ? Kind.CURRENT : name.startsWith("OPTIONS") ? Kind.OPTIONS : Kind.OTHER;
        StreamStateHandle handle = e.getHandle();
        Path path = handle instanceof FileStateHandle f ? localPath(f.getFilePath().toUri()) : null;
        return new StateFile(op.getOperatorID().toString(), op.getOperatorUid().orElse(null), op.getOperatorName().orElse(null),
                subtask, op.getMaxParallelism(), name, kind, path == null ? null : path.getFileName().toString(), path,
                handle.getStateSize(), e, keyed);
    }

    private static Path localPath(java.net.URI uri) {
        if (uri.getScheme() == null) {
            return Path.of(uri.getPath());
        }
        if (!"file".equals(uri.getScheme())) {
            throw Failure.of(ExitCode.BAD_STATE, "state file %s is not on the local file system", uri);
        }
        return Path.of(uri);
    }

    public Path dir() {
        return dir;
    }

    /** Flink's own view of {@code _metadata}: operators, their subtasks' state handles. */
    public CheckpointMetadata metadata() {
        return metadata;
    }

    public List<StateFile> files() {
        return files;
    }

    /** The savepoint's format: NATIVE, CANONICAL, or empty for a checkpoint. */
    public Optional<SavepointFormatType> format() {
        return metadata.getCheckpointProperties() != null
                && metadata.getCheckpointProperties().getCheckpointType() instanceof SavepointType t
                ? Optional.of(t.getFormatType()) : Optional.empty();
    }

    /** {@link Failure} for a canonical savepoint: its keyed state is Flink's own stream format, not RocksDB's files. */
    public void requireNative() {
        if (format().orElse(SavepointFormatType.NATIVE) == SavepointFormatType.CANONICAL) {
            throw Failure.of(ExitCode.BAD_STATE, "%s is a canonical savepoint: its keyed state is in Flink's own format, "
                    + "not RocksDB SST files; take a native one (savepoint --format native)", dir);
        }
    }

    /** Operator (uid, else name, else id) → SST bytes in it. */
    public Map<String, Long> sstBytesByOperator() {
        return files.stream().filter(f -> f.kind() == Kind.SST)
                .collect(Collectors.groupingBy(StateFile::operatorLabel, LinkedHashMap::new, Collectors.summingLong(StateFile::size)));
    }

    /**
     * The SSTs swap-sst may rewrite, best first. {@code file} names exactly one (RocksDB name or savepoint file
     * name). Otherwise: the SSTs of the chosen subtask (default: the lowest that has one) of the chosen operator
     * (uid, name or id; default: the one with the most SST bytes), newest first: the highest RocksDB file number
     * is the last flush, with the most recent updates. With {@code state}, the SSTs of that keyed state (the column
     * family each SST's properties record) of any operator, or of {@code operator}, chosen by subtask the same way.
     */
    public List<StateFile> targets(String operator, Integer subtask, String file, String state) {
        requireNative();
        List<StateFile> ssts = files.stream().filter(f -> f.kind() == Kind.SST).toList();
        if (ssts.isEmpty()) {
            throw Failure.of(ExitCode.BAD_STATE, "%s holds no RocksDB SST files (no keyed state in RocksDB's native format)", dir);
        }
        if (file != null) {
            if (state != null) {
                throw Failure.of(ExitCode.USAGE, "--file names one SST; --state picks among a state's SSTs: give one of them");
            }
            return List.of(ssts.stream().filter(f -> file.equals(f.rocksdbName()) || file.equals(f.fileName())).findFirst()
                    .orElseThrow(() -> Failure.of(ExitCode.NOT_FOUND, "no SST '%s' in %s; its SSTs: %s", file, dir,
                            ssts.stream().map(StateFile::describe).collect(Collectors.joining("; ")))));
        }
        List<StateFile> chosen;
        String what;
        if (state != null) {
            chosen = ofState(ssts, operator, state);
            what = "state '" + state + "'";
        } else {
            String op = operator != null ? operator
                    : sstBytesByOperator().entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            chosen = ssts.stream().filter(f -> f.isOf(op)).toList();
            if (chosen.isEmpty()) {
                throw Failure.of(ExitCode.NOT_FOUND, "no operator '%s' with RocksDB state in %s; operators with SSTs: %s", op, dir,
                        String.join(", ", sstBytesByOperator().keySet()));
            }
            what = op;
        }
        int sub = subtask != null ? subtask : chosen.stream().mapToInt(StateFile::subtask).min().orElseThrow();
        List<StateFile> newestFirst = chosen.stream().filter(f -> f.subtask() == sub)
                .sorted(Comparator.comparingLong(StateFile::fileNumber).reversed()).toList();
        if (newestFirst.isEmpty()) {
            throw Failure.of(ExitCode.NOT_FOUND, "subtask %d of %s has no SST in %s", sub, what, dir);
        }
        return newestFirst;
    }

    /** The SSTs of keyed state {@code state} (of {@code operator}, when given); none: the states there are, said. */
    private List<StateFile> ofState(List<StateFile> ssts, String operator, String state) {
        Map<String, Set<String>> statesByOperator = new TreeMap<>();
        List<StateFile> ofState = new ArrayList<>();
        for (StateFile f : ssts) {
            if (operator != null && !f.isOf(operator)) {
                continue;
            }
            String columnFamily = SstFile.inspect(f).columnFamily();
            statesByOperator.computeIfAbsent(f.operatorLabel(), k -> new TreeSet<>()).add(columnFamily);
            if (state.equals(columnFamily)) {
                ofState.add(f);
            }
        }
        if (ofState.isEmpty()) {
            throw Failure.of(ExitCode.NOT_FOUND, "no keyed state '%s' in %s%s; its states: %s", state, dir,
                    operator != null ? " for operator " + operator : "",
                    statesByOperator.entrySet().stream().map(e -> String.join(", ", e.getValue()) + " (" + e.getKey() + ")")
                            .collect(Collectors.joining("; ")));
        }
        return ofState;
    }

    /**
     * The seed's rule, kept for comparison: the largest file in the directory, whatever it is. Fails, naming
     * what the file really is, when that is not an SST.
     */
    public StateFile largestFile() {
        Path largest;
        try (Stream<Path> list = Files.list(dir)) {
            largest = list.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("_statelab") && !p.getFileName().toString().endsWith(".bak"))
                    .max(Comparator.comparingLong(p -> p.toFile().length()))
                    .orElseThrow(() -> Failure.of(ExitCode.NOT_FOUND, "%s holds no files", dir));
        } catch (IOException e) {
            throw Failure.of(ExitCode.NOT_FOUND, "cannot list %s: %s", dir, e.getMessage());
        }
        String name = largest.getFileName().toString();
        StateFile f = files.stream().filter(s -> name.equals(s.fileName())).findFirst()
                .orElseThrow(() -> Failure.of(ExitCode.BAD_STATE, "the largest file of %s is %s (%d bytes), which is %s, not an SST; "
                        + "--largest is the seed's rule and it picks the wrong file here", dir, name, largest.toFile().length(),
                        name.equals(METADATA) ? "the savepoint's metadata (the SSTs are inlined in it)" : "not a RocksDB file of keyed state"));
        if (f.kind() != Kind.SST) {
            throw Failure.of(ExitCode.BAD_STATE, "the largest file of %s is %s (%d bytes), which is RocksDB's %s, not an SST; "
                    + "--largest is the seed's rule and it picks the wrong file here", dir, name, f.size(), f.rocksdbName());
        }
        return f;
    }

    /** The keyed-state meta data (key serializer, states and their serializers) of the file's keyed state. */
    public KeyedBackendSerializationProxy<?> keyedMetaData(StateFile f) {
        try {
            return readKeyedMetaData(f.keyedHandle().getMetaDataStateHandle(), 0);
        } catch (IOException | RuntimeException e) {
            throw Failure.of(ExitCode.BAD_STATE, "cannot read the keyed state meta data of %s: %s", f.describe(), e.getMessage());
        }
    }

    /**
     * The keyed backend's meta data (key serializer, states and their serializers) written at {@code offset} of
     * {@code handle}: a native savepoint's meta data handle (at 0), or the start of a canonical one's stream.
     */
    public static KeyedBackendSerializationProxy<?> readKeyedMetaData(StreamStateHandle handle, long offset) throws IOException {
        KeyedBackendSerializationProxy<?> proxy = new KeyedBackendSerializationProxy<>(SavepointLayout.class.getClassLoader());
        try (FSDataInputStream in = handle.openInputStream()) {
            in.seek(offset);
            proxy.read(new DataInputViewStreamWrapper((InputStream) in));
        }
        return proxy;
    }

    /** Replaces the bytes of an inlined file; {@link #writeMetadata} then writes them. */
    public void replaceInline(StateFile f, byte[] bytes) {
        if (!f.inline()) {
            throw new IllegalArgumentException(f.describe() + " is a file, not inlined");
        }
        ByteStreamStateHandle old = (ByteStreamStateHandle) f.entry().getHandle();
        f.entry().replaceHandle(new ByteStreamStateHandle(old.getHandleName(), bytes));
    }

    /** Writes the (changed) metadata to {@code out} with Flink's own serializer. */
    public void writeMetadata(DataOutputStream out) throws IOException {
        Checkpoints.storeCheckpointMetadata(metadata, out);
    }
}
