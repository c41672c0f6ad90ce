//DEPS info.picocli:picocli:4.7.7
package statelab.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one exit-code table of the StateLab toolkit. Every command lists it in {@code --help}, and
 * docs/exit-codes.md repeats it for scripts that branch on it.
 */
public enum ExitCode {
    OK(0, "Success; resume: verdict RESTORED."),
    FAILURE(1, "Unexpected failure (run with --verbose for the stack trace)."),
    USAGE(2, "Bad usage: unknown option or subcommand, bad value, missing input."),
    NOT_FOUND(3, "Not found: file, savepoint, _metadata, job or job alias."),
    TIMEOUT(4, "A deadline passed; resume: verdict TIMEOUT."),
    UNREACHABLE(5, "Flink's REST API does not answer (cluster down, wrong --rest-url, or a TLS handshake refused)."),
    JOB_FAILED(6, "The job failed or restarted (root cause printed)."),
    NO_SLOTS(7, "The job waits for task slots the cluster does not have free."),
    BAD_STATE(8, "State that cannot be used as asked: not an SST, canonical savepoint, entries that would be lost."),
    CONFLICT(9, "Already taken: the port is used by another process, or the file exists."),
    RESTORE_FAILED(10, "resume: verdict RESTORE_FAILED (Flink did not restore the savepoint)."),
    CANNOT_WRITE(11, "A file or directory cannot be written (read-only, permissions, disk full); nothing was changed."),
    DIFFERENT(12, "diff: the two savepoints' keyed state differs."),
    RESTORED_ALTERED(13, "resume --verify: verdict RESTORED_ALTERED (Flink restored the altered values and runs on them)."),
    NOT_EXACTLY_ONCE(14, "sum-job: verdict EXACTLY_ONCE_BROKEN (the committed output has a duplicate, gap, wrong sum or line out of order).");

    public final int code;
    public final String meaning;

    ExitCode(int code, String meaning) {
        this.code = code;
        this.meaning = meaning;
    }

    /** The table as picocli's {@code exitCodeList} wants it: code → description. */
    public static Map<String, String> helpList() {
        Map<String, String> list = new LinkedHashMap<>();
        for (ExitCode c : values()) {
            list.put(c.code < 10 ? " " + c.code : Integer.toString(c.code), c.meaning); // "%2d" without a Formatter
        }
        return list;
    }
}
