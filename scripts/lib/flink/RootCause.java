package statelab.flink;

/**
 * Picks, out of a Java stack trace or one of Flink's error texts, the one line a person needs: the deepest
 * {@code Caused by:} (e.g. RocksDB's {@code Sst file size mismatch ...}), or the first line when there is none.
 */
public final class RootCause {
    private static final int MAX_LENGTH = 500;

    private RootCause() {}

    public static String of(String text) {
        if (text == null || text.isBlank()) {
            return "(no message)";
        }
        String found = null;
        for (String line : text.split("\\R")) {
            String s = line.strip();
            if (s.startsWith("Caused by: ")) {
                found = s.substring("Caused by: ".length());
            }
        }
        if (found == null) {
            found = text.strip().split("\\R", 2)[0];
        }
        found = found.replaceFirst("^\\[", "").replaceFirst("]$", "").strip();
        return found.length() <= MAX_LENGTH ? found : found.substring(0, MAX_LENGTH - 3) + "...";
    }
}
