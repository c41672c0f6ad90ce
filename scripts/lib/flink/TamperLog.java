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

    /** One rewrite: which file, how many entries changed, when. */
    public record Entry(String at, String rocksdbName, String file, boolean inline, String operator, int subtask,
                        long changed, long bytesBefore, long bytesAfter) {}

    public static List<Entry> read(Path savepointDir) {
        Path file = savepointDir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return List.of();
        }
        try {
            return Output.mapper().readValue(file.toFile(), new TypeReference<List<Entry>>() {});
        } catch (IOException e) {
            return List.of();
        }
    }

    public static void append(Path savepointDir, Entry entry) {
        List<Entry> entries = new ArrayList<>(read(savepointDir));
        entries.add(entry);
        Workspace.writeAtomically(savepointDir.resolve(FILE), Output.toJson(entries).getBytes(StandardCharsets.UTF_8));
    }
}
