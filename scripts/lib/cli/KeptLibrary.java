package statelab.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * A native library kept in StateLab's home ({@code native/<jar name>/<file>}), written once from the jar that
 * bundles it. rocksdbjni and snappy-java extract theirs into the temporary directory on every start (15 MB and
 * 100 KB, compared byte by byte with the jar's copy for snappy-java; a killed JVM leaves them there); a kept copy
 * is loaded directly. The copy is written whole: a temporary file beside it, renamed into place, so a parallel
 * start reads all of it or none.
 */
public final class KeptLibrary {
    private KeptLibrary() {}

    /**
     * The directory holding {@code fileName}, a copy of {@code resource} (an absolute resource name) from the jar
     * that holds {@code owner}; written when it is not there yet.
     *
     * @throws IOException when the jar has no such resource or the copy cannot be written (a read-only home)
     */
    public static Path directory(Class<?> owner, String resource, String fileName) throws IOException {
        String jar;
        try {
            jar = Path.of(owner.getProtectionDomain().getCodeSource().getLocation().toURI()).getFileName().toString()
                    .replaceFirst("\\.jar$", "");
        } catch (java.net.URISyntaxException | RuntimeException e) {
            throw new IOException("cannot tell which jar holds " + owner.getName() + ": " + e.getMessage());
        }
        Path dir = Workspace.home().resolve("native").resolve(jar);
        Path lib = dir.resolve(fileName);
        if (Files.isRegularFile(lib)) {
            return dir;
        }
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + fileName, ".tmp");
        try (InputStream in = owner.getResourceAsStream(resource)) {
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
