package statelab.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A real pseudo-terminal for tests: one command running in a tmux pane, driven as a person drives it (keys in,
 * {@code send-keys}; the screen out, {@code capture-pane}). Each instance has its own tmux server (its own
 * socket, {@code -L}, and an empty config), so it neither sees nor disturbs anyone's tmux, and {@link #close}
 * kills that server, and with it the command, whatever the test did. The command runs under bash, which prints
 * its exit status when it ends, and the pane stays ({@code remain-on-exit}), so a test can read the last screen
 * and the exit status.
 */
public final class Tmux implements AutoCloseable {
    private static final AtomicInteger SESSIONS = new AtomicInteger();
    private static final Duration TMUX_CALL = Duration.ofSeconds(20);
    /** What the pane shows when the command has ended, before its exit status and ']'. */
    private static final String EXITED = "[command exited with status ";

    private final String socket;
    private final Path config;
    private final Map<String, String> env;
    /** The server's socket file, which kill-server leaves behind. */
    private volatile Path socketPath;
    /** Kills the server if the JVM ends before {@link #close} (a test JVM killed at its timeout). */
    private final Thread killAtExit = new Thread(this::killServer, "kill-tmux");

    private Tmux(String socket, Path config, Map<String, String> env) {
        this.socket = socket;
        this.config = config;
        this.env = env;
    }

    /** Fails, with what to do about it, when tmux is not installed: these tests need a real terminal. */
    public static void requireTmux() {
        try {
            Process p = new ProcessBuilder("tmux", "-V").redirectErrorStream(true).start();
            if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new AssertionError("'tmux -V' failed: the REPL's terminal tests need a working tmux (apt-get install tmux)");
            }
        } catch (IOException e) {
            throw new AssertionError("tmux is not on PATH (" + System.getenv("PATH") + "): the REPL's terminal tests need it "
                    + "to give the REPL a real terminal; install it (apt-get install tmux)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /**
     * Starts {@code command} in a new pane of {@code width} x {@code height} characters, in {@code dir}, with this
     * JVM's environment plus {@code env}.
     */
    public static Tmux start(Path dir, Map<String, String> env, int width, int height, String... command) {
        requireTmux();
        String socket = "statelab-test-" + ProcessHandle.current().pid() + "-" + SESSIONS.incrementAndGet();
        Path config;
        try {
            config = Files.createTempFile("statelab-tmux", ".conf");
            Files.writeString(config, String.join("\n",
                    "set -g remain-on-exit on", // the last screen and the exit status stay readable
                    "set -g history-limit 20000",
                    "set -g status off",
                    "set -g default-terminal xterm-256color",
                    ""), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        Tmux tmux = new Tmux(socket, config, env);
        Runtime.getRuntime().addShutdownHook(tmux.killAtExit);
        try {
            List<String> args = new ArrayList<>(List.of("new-session", "-d", "-s", "test", "-x", Integer.toString(width), "-y",
                    Integer.toString(height), "-c", dir.toString()));
            env.forEach((k, v) -> {
                args.add("-e");
                args.add(k + "=" + v);
            });
            // through bash, which waits for the command and prints its exit status: tmux's own #{pane_dead_status}
            // stays empty when tmux has not reaped the pane's process (seen with tmux 3.3a and the JVM). bash, not
            // sh: on Ctrl-C bash outlives a command that handles SIGINT itself (dash would die of it)
            args.addAll(List.of("bash", "-c", "\"$@\"; printf '\\n" + EXITED + "%d]\\n' $?", "bash"));
            args.addAll(List.of(command));
            tmux.tmux(args.toArray(String[]::new));
            tmux.socketPath = Path.of(tmux.tmux("display-message", "-p", "#{socket_path}").strip());
        } catch (RuntimeException | Error e) {
            tmux.close();
            throw e;
        }
        return tmux;
    }

    /** Types {@code text} literally (no key names). */
    public Tmux type(String text) {
        tmux("send-keys", "-t", "test", "-l", text);
        return this;
    }

    /** Presses keys by tmux name: {@code Enter}, {@code Tab}, {@code Up}, {@code C-c}, {@code C-d}. */
    public Tmux press(String... keys) {
        List<String> args = new ArrayList<>(List.of("send-keys", "-t", "test"));
        args.addAll(List.of(keys));
        tmux(args.toArray(String[]::new));
        return this;
    }

    /** Types {@code line} and presses Enter. */
    public Tmux enter(String line) {
        return type(line).press("Enter");
    }

    /** The whole pane: its scrollback and the visible screen, wrapped lines joined, trailing blanks dropped. */
    public String screen() {
        String s = tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "test");
        return s.stripTrailing();
    }

    /** The visible screen's last non-blank line (where the cursor is, usually). */
    public String lastLine() {
        List<String> lines = screen().lines().toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    /** Whether the command in the pane has ended. */
    public boolean ended() {
        return exitLine(screen()) != null;
    }

    /** The exit status of the ended command. */
    public int exitStatus() {
        String line = exitLine(screen());
        if (line == null) {
            throw new AssertionError("the command has not ended\n" + framed(screen()));
        }
        return Integer.parseInt(line.substring(EXITED.length(), line.length() - 1));
    }

    private static String exitLine(String screen) {
        return screen.lines().filter(l -> l.startsWith(EXITED) && l.endsWith("]")).findFirst().orElse(null);
    }

    /**
     * Polls the screen until {@code condition} holds; returns that screen. Fails after {@code timeout} with the
     * last screen in the message.
     */
    public String await(String what, Duration timeout, Predicate<String> condition) {
        Instant deadline = Instant.now().plus(timeout);
        while (true) {
            String screen = screen();
            if (condition.test(screen)) {
                return screen;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("not within " + timeout + ": " + what + "\n" + framed(screen));
            }
            pause(100);
        }
    }

    /** Polls until the command has ended; fails with the screen after {@code timeout}. */
    public void awaitEnd(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (!ended()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("the command did not end within " + timeout + "\n" + framed(screen()));
            }
            pause(100);
        }
    }

    /** The screen between rulers, for assertion messages. */
    public static String framed(String screen) {
        return "--- screen\n" + screen + "\n--- end of screen";
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private String tmux(String... args) {
        List<String> cmd = new ArrayList<>(List.of("tmux", "-L", socket, "-f", config.toString()));
        cmd.addAll(List.of(args));
        Proc.Result r = Proc.run(cmd, Checkout.ROOT, env, null, TMUX_CALL);
        if (r.exit() != 0) {
            throw new AssertionError("tmux failed: " + r);
        }
        return r.out();
    }

    /** Kills this instance's tmux server and the command in it; never throws. */
    @Override
    public void close() {
        killServer();
        try {
            Runtime.getRuntime().removeShutdownHook(killAtExit);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs, and finds nothing left to kill
        }
    }

    private void killServer() {
        try {
            Proc.run(List.of("tmux", "-L", socket, "kill-server"), Checkout.ROOT, env, null, TMUX_CALL);
        } catch (RuntimeException | AssertionError e) {
            // nothing left to kill, or tmux gone
        }
        try {
            Files.deleteIfExists(config);
            if (socketPath != null) {
                Files.deleteIfExists(socketPath);
            }
        } catch (IOException ignored) {
            // temp files
        }
    }
}
