package statelab.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The jbang that runs this toolkit, asked from inside a command: to build a job's jar, or to resolve the local
 * cluster's classpath. Each call is a JVM of its own, so callers cache what it answers under the hash of the
 * script they asked about ({@link #sourceHash}).
 */
public final class Jbang {
    /** The first build of a script resolves hundreds of MB of jars from Maven Central. */
    private static final long TIMEOUT_MINUTES = 15;

    private Jbang() {}

    /** Runs jbang in the checkout and returns its stdout; a failure carries the tail of its stderr. */
    public static String run(Path checkout, List<String> args) {
        List<String> cmd = new ArrayList<>(launcher(checkout));
        cmd.addAll(args);
        File errors = null;
        try {
            errors = File.createTempFile("statelab-jbang", ".err");
            Process p = new ProcessBuilder(cmd)
                    .directory(checkout.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectError(errors)
                    .start();
            byte[] out;
            try {
                out = p.getInputStream().readAllBytes();
                if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                    throw Failure.of(ExitCode.TIMEOUT, "%s did not finish within %d minutes", String.join(" ", cmd), TIMEOUT_MINUTES);
                }
            } finally {
                if (p.isAlive()) {
                    p.destroyForcibly(); // timed out or interrupted (Ctrl-C in the REPL): leave no jbang behind
                }
            }
            if (p.exitValue() != 0) {
                List<String> err = Files.readAllLines(errors.toPath(), StandardCharsets.UTF_8);
                String tail = String.join(" | ", err.subList(Math.max(0, err.size() - 5), err.size()));
                throw Failure.of(ExitCode.FAILURE, "%s failed (exit %d): %s", String.join(" ", cmd), p.exitValue(), tail);
            }
            return new String(out, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw Failure.of(ExitCode.FAILURE, "cannot run jbang (%s): %s", String.join(" ", cmd), e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure(ExitCode.FAILURE, "interrupted while running jbang", e);
        } finally {
            if (errors != null) {
                errors.delete();
            }
        }
    }

    /** The jbang that launched us (JBang exports JBANG_LAUNCH_CMD), else the checkout's ./jbang, else PATH's. */
    public static List<String> launcher(Path checkout) {
        String launchedBy = System.getenv("JBANG_LAUNCH_CMD");
        if (launchedBy != null && !launchedBy.isBlank() && (launchedBy.indexOf('/') < 0 || new File(launchedBy).canExecute())) {
            return List.of(launchedBy);
        }
        Path bundled = checkout.resolve("jbang");
        if (Files.isExecutable(bundled)) {
            return List.of(bundled.toString());
        }
        return List.of("jbang");
    }

    /** A short hash of a script's text (its //DEPS included): the key under which what jbang said of it is kept. */
    public static String sourceHash(Path source) {
        try {
            byte[] digest = java.security.MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(source));
            return java.util.HexFormat.of().formatHex(digest, 0, 8);
        } catch (IOException e) {
            throw Failure.of(ExitCode.NOT_FOUND, "cannot read %s: %s", source, e.getMessage());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
