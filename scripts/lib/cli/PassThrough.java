package statelab.cli;

import java.util.List;
import picocli.CommandLine.Model.CommandSpec;

/**
 * A command's positional parameters split where the user wrote {@code --}: before it, the command's own
 * (a job name, a savepoint path); after it, the arguments passed on to the Flink job. picocli hands both over
 * as one list; the original command line tells where the split is.
 */
public record PassThrough(List<String> own, List<String> passed) {
    public static PassThrough split(CommandSpec spec, List<String> positional) {
        List<String> original = spec.commandLine().getParseResult().originalArgs();
        int dashDash = original.indexOf("--");
        int passedCount = dashDash < 0 ? 0 : original.size() - dashDash - 1;
        int ownCount = positional.size() - passedCount;
        return new PassThrough(List.copyOf(positional.subList(0, ownCount)), List.copyOf(positional.subList(ownCount, positional.size())));
    }

    /** The single own parameter, or null; more than one is a usage error naming the -- rule. */
    public String single(String what) {
        if (own.size() > 1) {
            throw Failure.of(ExitCode.USAGE, "expected one %s, got %s; the job's own arguments go after --", what, own);
        }
        return own.isEmpty() ? null : own.get(0);
    }
}
