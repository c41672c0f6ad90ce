package statelab.savepoint;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;
import statelab.cli.KeptLibrary;

/**
 * Loads rocksdbjni's native library from a copy {@link KeptLibrary kept} in StateLab's home. {@link
 * RocksDB#loadLibrary()} extracts the 15 MB library from its jar into the temporary directory on every start; the
 * kept copy is loaded directly. When it cannot be kept (read-only home), RocksDB's own extraction does the job.
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

    /** The directory holding the library (see {@link KeptLibrary}). */
    private static Path kept() throws IOException {
        // librocksdbjni-linux64.so in the jar; kept under the name RocksDB.loadLibrary(paths) looks for in each path
        // (rocksdbjni 10.10: librocksdbjni*jni*-linux64.so)
        return KeptLibrary.directory(RocksDB.class, "/" + Environment.getJniLibraryFileName("rocksdb"),
                Environment.getJniLibraryFileName("rocksdbjni"));
    }
}
