package statelab.cli;

/**
 * The exception every command throws for an expected failure: it carries the exit code and a message that
 * reads well as one line after {@code error: }. {@link CommandRunner} turns it into that line and the code.
 */
public final class Failure extends RuntimeException {
    private final ExitCode exitCode;

    public Failure(ExitCode exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public Failure(ExitCode exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public static Failure of(ExitCode exitCode, String format, Object... args) {
        return new Failure(exitCode, Messages.format(format, args));
    }

    public ExitCode exitCode() {
        return exitCode;
    }
}
