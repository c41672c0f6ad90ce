package statelab.testing;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import statelab.cli.CommandRunner;

/** Runs a command object in this JVM, as the REPL and experiment do, capturing what it prints. */
public final class InProcess {
    private InProcess() {}

    public record Result(int exit, String out, String err) {
        public List<String> errLines() {
            return err.lines().filter(l -> !l.isBlank()).toList();
        }

        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    public static Result run(Object command, String... args) {
        return runWithStdin(command, "", args);
    }

    public static Result runWithStdin(Object command, String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = CommandRunner.execute(command, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(out), new PrintWriter(err), args);
        return new Result(exit, out.toString(), err.toString());
    }
}
