package statelab.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Every file under a directory and the SHA-256 of its bytes: equal fingerprints, byte-identical trees. */
public final class DirectoryFingerprint {
    private DirectoryFingerprint() {}

    public static Map<String, String> of(Path dir) {
        Map<String, String> hashes = new TreeMap<>();
        try (Stream<Path> files = Files.walk(dir)) {
            files.filter(Files::isRegularFile).forEach(f -> hashes.put(dir.relativize(f).toString(), sha256(f)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return hashes;
    }

    public static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
