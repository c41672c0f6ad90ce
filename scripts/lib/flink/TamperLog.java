package statelab.flink;

import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import statelab.cli.Output;
import statelab.cli.Workspace;

/**
 * The changes StateLab made to a savepoint, kept beside its {@code _metadata} as {@value #FILE}: {@code swap-sst}
 * appends one entry per rewrite, and {@code resume} reads them to tell "restored" from "restored altered state".
 */
public final class TamperLog {
    public static final String FILE = "_statelab-swaps.json";

    private TamperLog() {}

    /**
     * One tamper: which tool ({@code swap-sst --mode block}, {@code edit}), which file (swap-sst) or state, how
     * many entries changed, when, and each changed key with its value before and after (hex of the bytes RocksDB
     * holds; null: no value, a key added or deleted). Logs written before the keys were recorded have none.
     */
    public record Entry(String at, String rocksdbName, String file, boolean inline, String operator, int subtask,
                        long changed, long bytesBefore, long bytesAfter, String tool, String state, List<Change> changes) {}

    /** One key a tamper changed: RocksDB key bytes, the value before and the value after (hex; null: none). */
    public record Change(String keyHex, String oldHex, String newHex) {}

    public static List<Entry> read(Path savepointDir) {
        Path file = savepointDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        try {
            return Output.mapper().readerFor(new TypeReference<List<Entry>>() {})
                    .without(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).readValue(file.toFile());
        } catch (IOException e) {
            return List.of();
        }
    }

    /** Every key changed, in the order of the tampers (a key changed twice appears twice, the later last). */
    public static List<Entry> withChanges(Path savepointDir) {
        return read(savepointDir).stream().filter(e -> e.changes() != null && !e.changes().isEmpty()).toList();
    }

    public static void append(Path savepointDir, Entry entry) {
        List<Entry> entries = new ArrayList<>(read(savepointDir));
        entries.add(entry);
        Workspace.writeAtomically(savepointDir.resolve(FILE), Output.toJson(entries).getBytes(StandardCharsets.UTF_8));
    }
}
