package statelab.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a real process (./jbang, bash, java) with a deadline; a process that overstays is killed with its children. */
public final class Proc {
    private Proc() {}

    public record Result(int exit, String out, String err, List<String> command) {
        public List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }

        /** stderr lines that are not JBang's own ([jbang] building..., javac notes). */
        public List<String> ownErrLines() {
            return errLines().stream()
                    .filter(l -> !l.startsWith("[jbang]") && !l.startsWith("Note: "))
                    .toList();
        }

        @Override
        public String toString() {
            return "exit " + exit + " of " + String.join(" ", command) + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    public static Result run(List<String> command, Path dir, Map<String, String> env, String stdin, Duration timeout) {
        try {
            Path in = Files.createTempFile("statelab-test-stdin", ".txt");
            Path out = Files.createTempFile("statelab-test-out", ".txt");
            Path err = Files.createTempFile("statelab-test-err", ".txt");
            try {
                Files.writeString(in, stdin == null ? "" : stdin);
                ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile())
                        .redirectInput(stdin == null ? ProcessBuilder.Redirect.from(new File("/dev/null")) : ProcessBuilder.Redirect.from(in.toFile()))
                        .redirectOutput(out.toFile()).redirectError(err.toFile());
                pb.environment().putAll(env);
                Process p = pb.start();
                if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly().waitFor();
                    throw new AssertionError("timed out after " + timeout + ": " + String.join(" ", command)
                            + "\n--- stderr\n" + Files.readString(err));
                }
                return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8),
                        List.copyOf(command));
            } finally {
                Files.deleteIfExists(in);
                Files.deleteIfExists(out);
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            throw new AssertionError("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** bash -o pipefail -c SCRIPT, for real shell pipelines. */
    public static Result bash(String script, Path dir, Map<String, String> env, Duration timeout) {
        return run(List.of("bash", "-o", "pipefail", "-c", script), dir, env, null, timeout);
    }

    /** A java process on this JVM's own classpath. */
    public static List<String> java(String mainClass, String... args) {
        // rocksdbjni and snappy-java extract their native libraries into java.io.tmpdir at every start and delete them
        // only on a normal exit: the JVMs tests kill would leave them in /tmp (1.5 GB was seen), here in target/
        Path tmp = Checkout.TARGET.resolve("jvm-tmp");
        try {
            Files.createDirectories(tmp);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Djava.io.tmpdir=" + tmp, "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
