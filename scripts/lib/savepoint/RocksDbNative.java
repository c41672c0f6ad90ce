package statelab.savepoint;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;
import statelab.cli.Workspace;

/**
 * Loads rocksdbjni's native library from a copy kept in StateLab's home ({@code native/<rocksdbjni jar name>/}),
 * written once. {@link RocksDB#loadLibrary()} extracts the 15 MB library from its jar into the temporary directory
 * on every start (and a killed JVM leaves it there); the kept copy is loaded directly. When it cannot be kept
 * (read-only home), RocksDB's own extraction does the job.
 */
public final class RocksDbNative {
    private static volatile boolean loaded;

    private RocksDbNative() {}

    public static void load() {
        if (loaded) {
            return;
        }
        synchronized (RocksDbNative.class) {
            if (loaded) {
                return;
            }
            try {
                RocksDB.loadLibrary(List.of(kept().toString()));
            } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
                RocksDB.loadLibrary();
            }
            loaded = true;
        }
    }

    /** The directory holding the library, written there (whole, by a rename) when it is not yet. */
    private static Path kept() throws IOException {
        String resource = Environment.getJniLibraryFileName("rocksdb"); // librocksdbjni-linux64.so in the jar
        // the name RocksDB.loadLibrary(paths) looks for in each path (rocksdbjni 10.10: librocksdbjni*jni*-linux64.so)
        String name = Environment.getJniLibraryFileName("rocksdbjni");
        String jar = Path.of(java.net.URI.create(RocksDB.class.getProtectionDomain().getCodeSource().getLocation().toString()))
                .getFileName().toString().replaceFirst("\\.jar$", "");
        Path dir = Workspace.home().resolve("native").resolve(jar);
        Path lib = dir.resolve(name);
        if (Files.isRegularFile(lib)) {
            return dir;
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + name, ".tmp");
        try (InputStream in = RocksDB.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IOException(resource + " is not in " + jar);
            }
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return dir;
    }
}
