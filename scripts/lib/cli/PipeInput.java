package statelab.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What a chained command receives from the one before it: the last non-blank line of stdin, either the plain
 * result ({@code submit} prints a job id, {@code savepoint} a path) or that command's {@code --json} line, from
 * which the named field is taken. Stdin that is a terminal is never read, so a command run alone does not wait.
 */
public final class PipeInput {
    /** Stdin for commands run in-process (tests, a command calling another); the process's own otherwise. */
    static final ThreadLocal<InputStream> STDIN = new ThreadLocal<>();

    /**
     * In the REPL, what the session remembers takes the place of a pipe: field ({@code jobId}, {@code savepoint})
     * → the last value a command printed there. Null outside a session.
     */
    static final ThreadLocal<java.util.Map<String, String>> SESSION = new ThreadLocal<>();

    private PipeInput() {}

    /**
     * The value piped in, or empty when stdin is a terminal or carries nothing.
     *
     * @param jsonField the field to take when the line is a JSON object, e.g. {@code jobId} or {@code savepoint}
     */
    public static Optional<String> read(String jsonField) {
        InputStream injected = STDIN.get();
        if (injected != null) {
            return read(injected, jsonField);
        }
        if (Output.isTerminal(0)) {
            return Optional.empty();
        }
        return read(System.in, jsonField);
    }

    static Optional<String> read(InputStream in, String jsonField) {
        String last = null;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = reader.readLine()) != null; ) {
                if (!line.isBlank()) {
                    last = line.strip();
                }
            }
        } catch (IOException e) {
            throw new Failure(ExitCode.USAGE, "cannot read stdin: " + e.getMessage(), e);
        }
        if (last == null) {
            return Optional.empty();
        }
        if (!last.startsWith("{")) {
            return Optional.of(last);
        }
        try {
            JsonNode node = Output.mapper().readTree(last).get(jsonField);
            if (node == null || node.isNull() || node.asText().isBlank()) {
                throw Failure.of(ExitCode.USAGE, "the JSON on stdin has no \"%s\" field: %s", jsonField, abbreviate(last));
            }
            return Optional.of(node.asText());
        } catch (IOException e) {
            throw Failure.of(ExitCode.USAGE, "stdin is not valid JSON: %s", abbreviate(last));
        }
    }

    /** The argument if given, else what was piped in, else a usage error naming both ways. */
    public static String argumentOrStdin(String argument, String jsonField, String what, String producer) {
        if (argument != null && !argument.isBlank()) {
            return argument.strip();
        }
        java.util.Map<String, String> session = SESSION.get();
        if (session != null) {
            String remembered = session.get(jsonField);
            if (remembered == null || remembered.isBlank()) {
                throw Failure.of(ExitCode.USAGE, "no %s given: pass it as an argument, or run '%s' first in this session", what, producer);
            }
            return remembered;
        }
        boolean piped = STDIN.get() == null && !Output.isTerminal(0);
        return read(jsonField)
                .orElseThrow(() -> Failure.of(ExitCode.USAGE, piped
                                ? "no %s given: stdin was empty (did the command before this one in the pipe fail?); pass it as an argument or pipe '%s' into this command"
                                : "no %s given: pass it as an argument or pipe '%s' into this command", what, producer));
    }

    private static String abbreviate(String s) {
        return s.length() <= 120 ? s : s.substring(0, 117) + "...";
    }
}
