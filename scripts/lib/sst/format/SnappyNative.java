//FILES org-xerial-snappy.properties=org-xerial-snappy.properties
package statelab.sst.format;

import java.io.IOException;
import java.nio.file.Path;
import org.xerial.snappy.OSInfo;
import org.xerial.snappy.Snappy;
import statelab.cli.KeptLibrary;

/**
 * Points snappy-java at a {@link KeptLibrary kept} copy of its native library before its first use. On its own,
 * snappy-java writes the library to the temporary directory under a new name at every start, then reads it back
 * to compare it with the jar's copy: about 25 ms of a {@code swap-sst --in-place} run (bench/sst-engine), and a
 * file left in /tmp by every killed JVM. Settings of the user's own ({@code org.xerial.snappy.lib.path}) win;
 * when no copy can be kept, snappy-java's own extraction does the job.
 */
final class SnappyNative {
    private static final String PATH = "org.xerial.snappy.lib.path";
    private static final String NAME = "org.xerial.snappy.lib.name";
    private static boolean prepared;

    private SnappyNative() {}

    /** Call before the first use of {@link Snappy} (which loads the library once, when its class initializes). */
    static synchronized void prepare() {
        if (prepared) {
            return;
        }
        prepared = true;
        if (System.getProperty(PATH) != null || System.getProperty(NAME) != null
                || Boolean.getBoolean("org.xerial.snappy.use.systemlib")) {
            return;
        }
        String name = System.mapLibraryName("snappyjava");
        try {
            Path dir = KeptLibrary.directory(Snappy.class,
                    "/org/xerial/snappy/native/" + OSInfo.getNativeLibFolderPathForCurrentOS() + "/" + name, name);
            System.setProperty(PATH, dir.toString());
            System.setProperty(NAME, name);
        } catch (IOException | RuntimeException e) {
            // snappy-java extracts its own copy, as it does without us
        }
    }
}
