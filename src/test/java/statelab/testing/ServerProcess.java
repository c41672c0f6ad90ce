package statelab.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A test server in a JVM of its own (a {@code src/test/jbang} script run by {@code ./jbang}): started, waited for
 * until it prints its {@code ready …} line, and stopped by closing its standard input (it ends when that closes,
 * so a test JVM that dies takes it along), killed if it lingers. Its stderr goes to {@code log}.
 */
public final class ServerProcess implements AutoCloseable {
    private final Process process;
    /** What followed {@code ready } on its stdout. */
    public final String ready;

    private ServerProcess(Process process, String ready) {
        this.process = process;
        this.ready = ready;
    }

    public static ServerProcess start(String what, List<String> args, Map<String, String> env, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(args).directory(Checkout.ROOT.toFile()).redirectError(log.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> ready = CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("ready ")) {
                        return line.substring("ready ".length());
                    }
                }
                return null;
            } catch (IOException e) {
                return null;
            }
        });
        try {
            String line = ready.get(Checkout.JBANG_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            if (line == null) {
                throw new AssertionError(what + " exited before it was ready; see " + log);
            }
            return new ServerProcess(p, line);
        } catch (AssertionError e) {
            p.destroyForcibly();
            throw e;
        } catch (Exception e) {
            p.destroyForcibly();
            throw new AssertionError(what + " did not start: " + e + "; see " + log, e);
        }
    }

    @Override
    public void close() {
        try {
            process.getOutputStream().close();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        } catch (IOException | InterruptedException e) {
            process.destroyForcibly();
        }
    }
}
