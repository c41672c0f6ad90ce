package statelab.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where StateLab finds its checkout and keeps its own small records.
 *
 * <ul>
 *   <li>The checkout is the nearest directory, from the working directory up, that holds
 *       {@code jbang-catalog.json}: the same rule by which {@code jbang <alias>} found the command.
 *   <li>The home ({@code $STATELAB_HOME}, or the {@code statelab.home} system property, default
 *       {@code ~/.statelab}) keeps one record per submitted job, so a savepoint can name the job it came from.
 * </ul>
 */
public final class Workspace {
    public static final String CATALOG = "jbang-catalog.json";

    private Workspace() {}

    public static Optional<Path> checkout() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isRegularFile(dir.resolve(CATALOG))) {
                return Optional.of(dir);
            }
            dir = dir.getParent();
        }
        return Optional.empty();
    }

    public static Path requireCheckout(String why) {
        return checkout().orElseThrow(() -> Failure.of(ExitCode.NOT_FOUND,
                "no %s in %s or above: run this inside the StateLab checkout (%s)", CATALOG,
                Path.of("").toAbsolutePath(), why));
    }

    public static Path home() {
        String configured = System.getProperty("statelab.home", System.getenv("STATELAB_HOME"));
        if (configured != null && !configured.isBlank()) {
            return Path.of(configured).toAbsolutePath();
        }
        return Path.of(System.getProperty("user.home"), ".statelab");
    }

    /** Writes {@code content} to {@code target} in one atomic step (see {@link AtomicFile}). */
    public static void writeAtomically(Path target, byte[] content) {
        try (AtomicFile file = AtomicFile.beside(target)) {
            Files.write(file.tmp(), content);
            file.commit(false);
        } catch (IOException e) {
            throw Failure.of(ExitCode.CANNOT_WRITE, "cannot write %s: %s", target, e.getMessage());
        }
    }
}
