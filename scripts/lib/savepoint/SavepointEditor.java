package statelab.savepoint;

import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.flink.runtime.checkpoint.OperatorState;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.StateObjectCollection;
import org.apache.flink.runtime.state.IncrementalKeyedStateHandle.HandleAndLocalPath;
import org.apache.flink.runtime.state.IncrementalRemoteKeyedStateHandle;
import org.apache.flink.runtime.state.KeyedStateHandle;
import org.apache.flink.runtime.state.filesystem.FileStateHandle;
import org.apache.flink.runtime.state.filesystem.RelativeFileStateHandle;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.LiveFileMetaData;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.StringAppendOperator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import statelab.cli.ExitCode;
import statelab.cli.Failure;

/**
 * Writes a consistent logical edit of a native savepoint as a new savepoint directory; the input is never
 * modified. RocksDB does the work: each changed subtask's files are copied under their RocksDB names into a
 * private directory, opened as the database Flink would restore (auto compactions off, tables in the input's
 * format_version so Flink's RocksDB 8.10 reads them), the puts and deletes written and flushed into a new SST.
 * Its live files then replace the subtask's handle in {@code _metadata}, written by Flink's own serializer: SSTs
 * that did not change keep their savepoint files, new ones and the new MANIFEST, CURRENT and OPTIONS get new
 * files. The new directory is built beside the output under a temporary name and renamed into place at the end.
 */
public final class SavepointEditor {
    private SavepointEditor() {}

    /** One write: {@code value} null deletes the key. Bytes as RocksDB holds them. */
    public record Write(String state, byte[] key, byte[] value) {}

    /**
     * Applies {@code writes} (grouped by the subtask of {@code op} whose key groups hold each key) and writes the
     * result to {@code out}, which must not exist. {@code extraFiles} are written into the new directory as well
     * (name → bytes; StateLab's records).
     */
    public static void write(SavepointLayout layout, StateScan.OperatorState op, Map<List<SavepointLayout.StateFile>, List<Write>> writes,
                             Path out, Map<String, byte[]> extraFiles) {
        if (Files.exists(out)) {
            throw Failure.of(ExitCode.CONFLICT, "%s exists: edit writes a new savepoint directory and never overwrites one", out);
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent == null || !Files.isDirectory(parent)) {
            throw Failure.of(ExitCode.NOT_FOUND, "the directory %s for the new savepoint does not exist", parent);
        }
        Path tmp = parent.resolve("." + out.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        try {
            copyDirectory(layout.dir(), tmp);
            for (Map.Entry<List<SavepointLayout.StateFile>, List<Write>> w : writes.entrySet()) {
                rewriteSubtask(layout, w.getKey(), w.getValue(), tmp, out);
            }
            for (Map.Entry<String, byte[]> f : extraFiles.entrySet()) {
                Files.write(tmp.resolve(f.getKey()), f.getValue());
            }
            try (DataOutputStream stream = new DataOutputStream(Files.newOutputStream(tmp.resolve(SavepointLayout.METADATA)))) {
                layout.writeMetadata(stream);
            }
            Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            KeyedStateDb.deleteQuietly(tmp);
            throw Failure.of(ExitCode.CANNOT_WRITE, "cannot write the new savepoint %s: %s", out, e.getMessage());
        } catch (RuntimeException e) {
            KeyedStateDb.deleteQuietly(tmp);
            throw e;
        }
    }

    private static void copyDirectory(Path from, Path to) throws IOException {
        Files.createDirectory(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (Files.isRegularFile(f) && !name.startsWith(".")) {
                    Files.copy(f, to.resolve(name), StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    /** The subtask's database with {@code writes} applied; its handle in the metadata replaced by the new files'. */
    private static void rewriteSubtask(SavepointLayout layout, List<SavepointLayout.StateFile> files, List<Write> writes, Path tmp, Path out)
            throws IOException {
        SavepointLayout.StateFile first = files.get(0);
        String label = first.operatorLabel() + " subtask " + first.subtask();
        int formatVersion = files.stream().filter(f -> f.kind() == SavepointLayout.Kind.SST).findFirst()
                .map(f -> SstFile.inspect(f).formatVersion()).orElse(5);
        Path work = Files.createTempDirectory("statelab-edit-");
        try {
            for (SavepointLayout.StateFile f : files) {
                Path target = work.resolve(f.rocksdbName());
                if (f.inline()) {
                    Files.write(target, f.inlineBytes());
                } else {
                    Files.copy(f.path(), target);
                }
            }
            Set<String> live = applyWrites(work, writes, formatVersion, label);
            String current = Files.readString(work.resolve("CURRENT"), StandardCharsets.UTF_8).strip();
            String options;
            try (Stream<Path> list = Files.list(work)) {
                options = list.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("OPTIONS-"))
                        .max(java.util.Comparator.comparingLong(n -> Long.parseLong(n.substring("OPTIONS-".length()))))
                        .orElseThrow(() -> new IOException("RocksDB wrote no OPTIONS file"));
            }
            Map<String, SavepointLayout.StateFile> old = new LinkedHashMap<>();
            files.forEach(f -> old.put(f.rocksdbName(), f));
            List<HandleAndLocalPath> shared = new ArrayList<>();
            List<HandleAndLocalPath> privates = new ArrayList<>();
            Set<String> kept = new HashSet<>();
            for (String sst : live) {
                SavepointLayout.StateFile was = old.get(sst);
                if (was != null && was.kind() == SavepointLayout.Kind.SST) {
                    shared.add(was.entry()); // RocksDB never changes a written SST: the savepoint's file stands
                    if (!was.inline()) {
                        kept.add(was.fileName());
                    }
                } else {
                    shared.add(newFile(work.resolve(sst), sst, tmp, out));
                }
            }
            privates.add(newFile(work.resolve("CURRENT"), "CURRENT", tmp, out));
            privates.add(newFile(work.resolve(current), current, tmp, out));
            privates.add(newFile(work.resolve(options), options, tmp, out));
            for (SavepointLayout.StateFile f : files) { // the old subtask's files no handle refers to any more
                if (!f.inline() && !kept.contains(f.fileName())) {
                    Files.deleteIfExists(tmp.resolve(f.fileName()));
                }
            }
            IncrementalRemoteKeyedStateHandle h = first.keyedHandle();
            IncrementalRemoteKeyedStateHandle replaced = new IncrementalRemoteKeyedStateHandle(h.getBackendIdentifier(), h.getKeyGroupRange(),
                    h.getCheckpointId(), shared, privates, h.getMetaDataStateHandle());
            replaceHandle(layout, first, h, replaced);
        } finally {
            KeyedStateDb.deleteQuietly(work);
        }
    }

    /** Opens the database in {@code dir}, writes, flushes; returns the names of its live SSTs. */
    private static Set<String> applyWrites(Path dir, List<Write> writes, int formatVersion, String label) {
        RocksDbNative.load(); // before any RocksDB object: their classes load the library RocksDB's own way otherwise
        try (Options listOptions = new Options();
             DBOptions dbOptions = new DBOptions().setCreateIfMissing(false).setInfoLogLevel(InfoLogLevel.HEADER_LEVEL);
             StringAppendOperator merge = new StringAppendOperator(',');
             ColumnFamilyOptions cfOptions = new ColumnFamilyOptions().setMergeOperator(merge).setDisableAutoCompactions(true)
                     .setCompressionType(CompressionType.SNAPPY_COMPRESSION)
                     .setTableFormatConfig(new BlockBasedTableConfig().setFormatVersion(formatVersion))) {
            List<byte[]> names = RocksDB.listColumnFamilies(listOptions, dir.toString());
            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
            names.forEach(n -> descriptors.add(new ColumnFamilyDescriptor(n, cfOptions)));
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (RocksDB db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles)) {
                Map<String, ColumnFamilyHandle> byName = new LinkedHashMap<>();
                handles.forEach(h -> byName.put(new String(names.get(handles.indexOf(h)), StandardCharsets.UTF_8), h));
                List<ColumnFamilyHandle> touched = new ArrayList<>();
                try (WriteBatch batch = new WriteBatch(); WriteOptions wo = new WriteOptions().setDisableWAL(true)) {
                    for (Write w : writes) {
                        ColumnFamilyHandle cf = byName.get(w.state());
                        if (cf == null) {
                            throw Failure.of(ExitCode.NOT_FOUND, "%s has no column family for state '%s'", label, w.state());
                        }
                        if (w.value() == null) {
                            batch.delete(cf, w.key());
                        } else {
                            batch.put(cf, w.key(), w.value());
                        }
                        if (!touched.contains(cf)) {
                            touched.add(cf);
                        }
                    }
                    db.write(wo, batch);
                }
                try (FlushOptions fo = new FlushOptions().setWaitForFlush(true)) {
                    db.flush(fo, touched);
                }
                Set<String> live = new java.util.TreeSet<>();
                for (LiveFileMetaData m : db.getLiveFilesMetaData()) {
                    live.add(m.fileName().replaceFirst("^/", ""));
                }
                handles.forEach(ColumnFamilyHandle::close);
                return live;
            }
        } catch (RocksDBException e) {
            throw Failure.of(ExitCode.BAD_STATE, "RocksDB cannot apply the edit to %s: %s", label, KeyedStateDb.oneLine(e));
        }
    }

    /** Copies a RocksDB file into the new savepoint under a fresh name: its handle, relative to the savepoint. */
    private static HandleAndLocalPath newFile(Path file, String rocksdbName, Path tmp, Path out) throws IOException {
        String name = UUID.randomUUID().toString();
        Files.copy(file, tmp.resolve(name));
        long size = Files.size(tmp.resolve(name));
        FileStateHandle handle = new RelativeFileStateHandle(new org.apache.flink.core.fs.Path(out.toAbsolutePath().resolve(name).toUri()), name, size);
        return HandleAndLocalPath.of(handle, rocksdbName);
    }

    private static void replaceHandle(SavepointLayout layout, SavepointLayout.StateFile f, KeyedStateHandle old, KeyedStateHandle replaced) {
        for (OperatorState op : layout.metadata().getOperatorStates()) {
            if (!op.getOperatorID().toString().equals(f.operatorId())) {
                continue;
            }
            OperatorSubtaskState sub = op.getState(f.subtask());
            List<KeyedStateHandle> keyed = new ArrayList<>();
            for (KeyedStateHandle k : sub.getManagedKeyedState()) {
                keyed.add(k == old ? replaced : k);
            }
            op.putState(f.subtask(), sub.toBuilder().setManagedKeyedState(new StateObjectCollection<>(keyed)).build());
            return;
        }
        throw new IllegalStateException("operator " + f.operatorId() + " not in the metadata");
    }
}
