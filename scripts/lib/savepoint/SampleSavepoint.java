//FILES statelab-sample-savepoint/_metadata=sample/_metadata
//FILES statelab-sample-savepoint/f918c5de-a9b8-437b-8749-ff80e93d0c87=sample/f918c5de-a9b8-437b-8749-ff80e93d0c87
package statelab.savepoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A real native savepoint, tiny, carried in the jar of every command that reads savepoints: word-count's (40 words
 * of 3 letters, made by the local cluster of Flink 2.3.0 with {@code submit word-count -- --keep-running --words 40
 * --letters 3}; its SST, MANIFEST and CURRENT are inlined in {@code _metadata}, its OPTIONS file is the other file).
 *
 * <p>Read once by a run that writes the class-data archive ({@link statelab.cli.ClassDataArchive}): then the
 * archive holds what reading any savepoint loads (Flink's metadata and serializer classes, log4j's start-up,
 * RocksDB's classes, the block engine's, JSON lines'), whatever the first run of the command was. A first run of
 * {@code inspect --version} left {@code inspect --entries --limit 1} 1.2-1.4 s to start; with these classes archived
 * it took 0.88 s (bench/xray).
 */
public final class SampleSavepoint {
    static final String RESOURCE = "statelab-sample-savepoint/";
    static final List<String> FILES = List.of("_metadata", "f918c5de-a9b8-437b-8749-ff80e93d0c87");

    private SampleSavepoint() {}

    /** Reads every entry of the sample savepoint, decoded, as JSON lines into nothing. Quiet: any failure is ignored. */
    public static void read() {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("statelab-sample-");
            for (String f : FILES) {
                try (InputStream in = SampleSavepoint.class.getClassLoader().getResourceAsStream(RESOURCE + f)) {
                    if (in == null) {
                        return; // not run from the script's jar (tests): nothing to read
                    }
                    Files.copy(in, dir.resolve(f));
                }
            }
            EntryJson lines = new EntryJson(OutputStream.nullOutputStream());
            new StateScan(SavepointLayout.load(dir)).scan(StateScan.Filter.ALL, (e, k, v) -> {
                try {
                    lines.write(e);
                } catch (IOException x) {
                    throw new java.io.UncheckedIOException(x);
                }
                return true;
            });
            lines.flush();
        } catch (IOException | RuntimeException | LinkageError e) {
            // only the archive's contents depend on this
        } finally {
            if (dir != null) {
                KeyedStateDb.deleteQuietly(dir);
            }
        }
    }
}
