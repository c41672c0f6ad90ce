///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/cli/*.java
//SOURCES lib/flink/*.java
//SOURCES lib/savepoint/*.java
//SOURCES lib/sst/format/*.java
//DESCRIPTION Write a consistent logical edit of a savepoint's keyed state (--set, --delete, --zero-last) as a new savepoint.
package statelab;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import statelab.cli.ClassDataArchive;
import statelab.cli.CommandRunner;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Output;
import statelab.cli.PipeInput;
import statelab.flink.FlinkFiles;
import statelab.flink.RemoteSavepoint;
import statelab.flink.SavepointPath;
import statelab.flink.TamperLog;
import statelab.savepoint.FlinkKeyCodec;
import statelab.savepoint.SavepointEditor;
import statelab.savepoint.SavepointLayout;
import statelab.savepoint.StateScan;

/**
 * {@code edit SAVEPOINT --set KEY=VALUE | --delete KEY | --zero-last N}: a consistent edit of one keyed state,
 * written as a new native savepoint (the input is never modified) whose path is printed. MapState's entry is named
 * with {@code --map-key}; ListState's value is given as comma-separated elements. Keys and values are
 * parsed as the state's own types and encoded with its serializers, in the key group Flink assigns the key; RocksDB
 * writes the new SST ({@link SavepointEditor}) and Flink's serializer the new {@code _metadata}. The changes are
 * recorded beside it, so {@code resume --verify} can prove whether Flink runs on them.
 */
@Command(name = "edit", mixinStandardHelpOptions = true, version = "StateLab edit (Flink 2.3.0)",
        description = {"Edit a savepoint's keyed state consistently (--set KEY=VALUE, --delete KEY, --zero-last N) into a NEW",
                "savepoint directory (the input is never modified); print its path.",
                "MapState: --map-key MAPKEY names the entry; ListState: --set KEY=A,B,C gives the elements."})
public final class Edit implements Callable<Integer>, ClassDataArchive.Exercised {
    @Mixin Output output;

    @Parameters(index = "0", arity = "0..1", paramLabel = "SAVEPOINT", description = "The savepoint (default: read from stdin).")
    String savepointArg;

    @Option(names = "--state", paramLabel = "NAME", description = "The keyed state to edit (default: the operator's only value state).")
    String state;

    @Option(names = "--operator", paramLabel = "UID", description = "The operator (uid, name or id; default: the one with the state).")
    String operator;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Set KEY's value (added when the key is not there). Repeatable.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--delete", paramLabel = "KEY", description = "Delete KEY. Repeatable.")
    List<String> deletes = new ArrayList<>();

    @Option(names = "--map-key", paramLabel = "MAPKEY",
            description = "MapState: the map entry of each key that --set and --delete change.")
    String mapKey;

    @Option(names = "--zero-last", paramLabel = "N", description = "Set the values of the state's last N keys (in key order) to zero.")
    Integer zeroLast;

    @Option(names = "--out", paramLabel = "DIR", description = "The new savepoint directory; must not exist (default: SAVEPOINT-edit-N beside it).")
    Path out;

    /** One key edited: decoded key and values (null: none), and their bytes. */
    public record Changed(Object key, Object oldValue, Object newValue, String keyHex, String oldHex, String newHex) {}

    /** What edit prints with --json. */
    public record Edited(String savepoint, String from, String operator, String state, List<Changed> changed) {}

    /** Run while the class-data archive is written (see ClassDataArchive): the table format's paths, and a whole savepoint read. */
    @Override
    public void exercise() {
        statelab.sst.format.StoredBlock.exercise();
        statelab.savepoint.SampleSavepoint.read();
    }

    @Override
    public Integer call() {
        if (sets.isEmpty() && deletes.isEmpty() && zeroLast == null) {
            throw Failure.of(ExitCode.USAGE, "nothing to edit: give --set KEY=VALUE, --delete KEY or --zero-last N");
        }
        if (zeroLast != null && zeroLast < 1) {
            throw Failure.of(ExitCode.USAGE, "--zero-last must be at least 1, got %d", zeroLast);
        }
        String location = PipeInput.argumentOrStdin(savepointArg, "savepoint", "savepoint path", "savepoint or swap-sst");
        if (FlinkFiles.isRemote(location)) {
            if (out != null) {
                throw Failure.of(ExitCode.USAGE, "--out names a local directory; the edit of a savepoint on %s goes beside it there "
                        + "(SAVEPOINT-edit-N)", FlinkFiles.uri(location).getScheme() + "://");
            }
            Edited edited = editRemote(FlinkFiles.uri(location), new Request(null, operator, state, sets, deletes, zeroLast, mapKey, null),
                    output);
            output.result(edited.savepoint(), edited);
            return ExitCode.OK.code;
        }
        Path dir = SavepointPath.directory(location);
        Edited edited = edit(new Request(dir, operator, state, sets, deletes, zeroLast, mapKey, out), output);
        output.result(edited.savepoint(), edited);
        return ExitCode.OK.code;
    }

    /**
     * The same edit of a savepoint on a remote file system ({@code s3://…}): made from a local copy into a new local
     * directory, which is then uploaded as {@code SAVEPOINT-edit-N} beside the original, {@code _metadata} last (until
     * it is there, the new location is no savepoint), and removed here. The original is not touched.
     */
    public static Edited editRemote(URI savepoint, Request request, Output output) {
        Path copy = RemoteSavepoint.stage(savepoint, name -> true, output);
        Edited local = edit(new Request(copy, request.operator(), request.state(), request.sets(), request.deletes(), request.zeroLast(),
                request.mapKey(), null), output);
        Path made = Path.of(local.savepoint());
        try {
            URI target = RemoteSavepoint.freeSibling(savepoint, "-edit-", output);
            RemoteSavepoint.uploadNew(made, target, output);
            return new Edited(target.toString(), savepoint.toString(), local.operator(), local.state(), local.changed());
        } finally {
            try (var files = java.nio.file.Files.list(made)) {
                for (Path f : files.toList()) {
                    java.nio.file.Files.deleteIfExists(f);
                }
                java.nio.file.Files.deleteIfExists(made);
            } catch (java.io.IOException e) {
                output.warn("could not remove the local edit in %s: %s", made, e.getMessage());
            }
        }
    }

    /** The typed form of the options; {@code out} null: a new directory beside the input. */
    public record Request(Path savepoint, String operator, String state, List<String> sets, List<String> deletes, Integer zeroLast,
                          String mapKey, Path out) {}

    public static Edited edit(Request r, Output output) {
        SavepointLayout layout = SavepointLayout.load(r.savepoint());
        layout.requireNative();
        StateScan scan = new StateScan(layout);
        List<StateScan.OperatorState> operators = scan.selected(new StateScan.Filter(r.operator(), null, null));
        StateScan.OperatorState op = null;
        String stateName = r.state();
        Map<String, String> valueStates = new TreeMap<>(); // state -> operator, for the messages
        for (StateScan.OperatorState o : operators) {
            // the states an operator has, from its keyed backend's meta data: no need to open RocksDB to list them
            for (StateMetaInfoSnapshot st : layout.keyedMetaData(o.subtasks().get(0).files().get(0)).getStateMetaInfoSnapshots()) {
                if (st.getBackendStateType() != StateMetaInfoSnapshot.BackendStateType.PRIORITY_QUEUE) {
                    valueStates.put(st.getName(), o.label());
                }
                if (st.getName().equals(stateName) && op == null) {
                    op = o;
                }
            }
        }
        if (stateName == null) {
            if (valueStates.size() != 1) {
                throw Failure.of(ExitCode.USAGE, "%s holds keyed states %s: name one with --state", r.savepoint(), String.join(", ", valueStates.keySet()));
            }
            stateName = valueStates.keySet().iterator().next();
            String label = valueStates.get(stateName);
            op = operators.stream().filter(o -> o.label().equals(label)).findFirst().orElseThrow();
        }
        if (op == null) {
            throw Failure.of(ExitCode.NOT_FOUND, "no keyed state '%s' in %s; its states: %s", stateName, r.savepoint(),
                    valueStates.isEmpty() ? "none" : String.join(", ", valueStates.keySet()));
        }
        Map<List<SavepointLayout.StateFile>, List<SavepointEditor.Write>> writes = new LinkedHashMap<>();
        List<Changed> changed = new ArrayList<>();
        try (StateScan.Opened opened = scan.open(op)) {
            FlinkKeyCodec codec = opened.codec(stateName);
            if (!codec.decodesKeys() || !codec.decodesValues()) {
                throw Failure.of(ExitCode.BAD_STATE, "the serializers of state '%s' cannot be restored here (a type not on StateLab's classpath)", stateName);
            }
            String shape = codec.valueShape();
            boolean keyed = !r.sets().isEmpty() || !r.deletes().isEmpty();
            if (shape.equals("map") && keyed && r.mapKey() == null) {
                throw Failure.of(ExitCode.USAGE, "state '%s' is map state: name the map entry that --set and --delete change with --map-key", stateName);
            }
            if (!shape.equals("map") && r.mapKey() != null) {
                throw Failure.of(ExitCode.USAGE, "--map-key names an entry of map state; state '%s' is %s state", stateName, shape);
            }
            if (shape.equals("list") && r.zeroLast() != null) {
                throw Failure.of(ExitCode.USAGE, "--zero-last sets values to zero; state '%s' is list state: give its elements with --set KEY=A,B", stateName);
            }
            Object mapKey = r.mapKey() == null ? null : parse(() -> codec.parseMapKey(r.mapKey()), stateName);
            Map<String, byte[][]> byKey = new LinkedHashMap<>(); // key hex -> {key, new value}; later edits of a key win
            for (String set : r.sets()) {
                int eq = set.indexOf('=');
                if (eq < 1) {
                    throw Failure.of(ExitCode.USAGE, "--set takes KEY=VALUE, got '%s'", set);
                }
                byte[] key = encodeKey(codec, set.substring(0, eq), mapKey, stateName);
                byKey.put(FlinkKeyCodec.hex(key), new byte[][] {key, encodeValue(codec, set.substring(eq + 1), stateName)});
            }
            for (String delete : r.deletes()) {
                byte[] key = encodeKey(codec, delete, mapKey, stateName);
                if (opened.get(stateName, key) == null) {
                    throw Failure.of(ExitCode.NOT_FOUND, "key '%s'%s is not in state '%s' of %s: nothing to delete", delete,
                            r.mapKey() == null ? "" : " with map key '" + r.mapKey() + "'", stateName, r.savepoint());
                }
                byKey.put(FlinkKeyCodec.hex(key), new byte[][] {key, null});
            }
            if (r.zeroLast() != null) {
                byte[] zero = encodeValue(codec, zeroText(codec), stateName);
                Deque<byte[]> last = new ArrayDeque<>();
                try (StateScan.Stream stream = opened.stream(stateName)) {
                    while (stream.next()) {
                        last.addLast(stream.key());
                        if (last.size() > r.zeroLast()) {
                            last.removeFirst();
                        }
                    }
                }
                if (last.size() < r.zeroLast()) {
                    output.warn("state '%s' holds %d keys, fewer than --zero-last %d: zeroing all of them", stateName, last.size(), r.zeroLast());
                }
                for (byte[] key : last) {
                    byKey.put(FlinkKeyCodec.hex(key), new byte[][] {key, zero});
                }
            }
            for (byte[][] kv : byKey.values()) {
                byte[] old = opened.get(stateName, kv[0]);
                StateScan.Entry before = StateScan.decode(op.label(), -1, stateName, codec, kv[0], old == null ? new byte[0] : old);
                int keyGroup = before.keyGroup() == null ? -1 : before.keyGroup();
                StateScan.Subtask subtask = StateScan.subtaskOf(op, keyGroup);
                if (subtask == null) {
                    throw Failure.of(ExitCode.BAD_STATE, "no subtask of %s holds key group %d", op.label(), keyGroup);
                }
                writes.computeIfAbsent(subtask.files(), k -> new ArrayList<>()).add(new SavepointEditor.Write(stateName, kv[0], kv[1]));
                Object newValue = kv[1] == null ? null : StateScan.decode(op.label(), -1, stateName, codec, kv[0], kv[1]).value();
                changed.add(new Changed(before.key(), old == null ? null : before.value(), newValue, FlinkKeyCodec.hex(kv[0]),
                        old == null ? null : FlinkKeyCodec.hex(old), kv[1] == null ? null : FlinkKeyCodec.hex(kv[1])));
            }
        }
        Path target = r.out() != null ? r.out().toAbsolutePath() : freeSibling(r.savepoint());
        List<TamperLog.Entry> log = new ArrayList<>(TamperLog.read(r.savepoint()));
        log.add(new TamperLog.Entry(Instant.now().toString(), null, null, false, op.label(), -1, changed.size(), 0, 0, "edit", stateName,
                changed.stream().map(c -> new TamperLog.Change(c.keyHex(), c.oldHex(), c.newHex())).toList()));
        Map<String, byte[]> extra = Map.of(TamperLog.FILE, Output.toJson(log).getBytes(StandardCharsets.UTF_8));
        output.progress("writing %d change(s) of state '%s' into %s", changed.size(), stateName, target);
        SavepointEditor.write(layout, op, writes, target, extra);
        return new Edited(target.toString(), r.savepoint().toString(), op.label(), stateName, changed);
    }

    private static Object parse(java.util.function.Supplier<Object> parsed, String state) {
        try {
            return parsed.get();
        } catch (IllegalArgumentException e) {
            throw Failure.of(ExitCode.USAGE, "state '%s': %s", state, e.getMessage());
        }
    }

    private static byte[] encodeKey(FlinkKeyCodec codec, String text, Object mapKey, String state) {
        try {
            return codec.encodeKey(codec.parseKey(text), mapKey);
        } catch (IllegalArgumentException e) {
            throw Failure.of(ExitCode.USAGE, "key of state '%s': %s", state, e.getMessage());
        } catch (java.io.IOException e) {
            throw Failure.of(ExitCode.USAGE, "key '%s' of state '%s' cannot be encoded: %s", text, state, e.getMessage());
        }
    }

    private static byte[] encodeValue(FlinkKeyCodec codec, String text, String state) {
        try {
            return codec.encodeStored(text);
        } catch (IllegalArgumentException e) {
            throw Failure.of(ExitCode.USAGE, "value of state '%s': %s", state, e.getMessage());
        } catch (java.io.IOException e) {
            throw Failure.of(ExitCode.USAGE, "value '%s' of state '%s' cannot be encoded: %s", text, state, e.getMessage());
        }
    }

    /** What zero is in the state's value type: 0 for numbers, false, the empty string. */
    private static String zeroText(FlinkKeyCodec codec) {
        String type = codec.storedTypeName();
        return switch (type) {
            case "Boolean" -> "false";
            case "String" -> "";
            default -> "0";
        };
    }

    /** {@code SAVEPOINT-edit-N} beside the savepoint, the first N not taken. */
    static Path freeSibling(Path savepoint) {
        Path abs = savepoint.toAbsolutePath();
        for (int n = 1; ; n++) {
            Path p = abs.resolveSibling(abs.getFileName() + "-edit-" + n);
            if (!java.nio.file.Files.exists(p)) {
                return p;
            }
        }
    }

    public static void main(String[] args) {
        CommandRunner.main(new Edit(), args);
    }
}
