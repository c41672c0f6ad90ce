package statelab.cli;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.TypeConversionException;

/** Parses the durations users type: {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}, {@code PT1M}, or plain seconds. */
public final class Durations {
    private static final Pattern SIMPLE = Pattern.compile("(\\d+)\\s*(ms|s|m|h)?");

    private Durations() {}

    public static Duration parse(String text) {
        String s = text.trim().toLowerCase(java.util.Locale.ROOT);
        Matcher m = SIMPLE.matcher(s);
        if (m.matches()) {
            long n = Long.parseLong(m.group(1));
            String unit = m.group(2) == null ? "s" : m.group(2);
            return switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofSeconds(n);
            };
        }
        try {
            return Duration.parse(text.trim().toUpperCase(java.util.Locale.ROOT));
        } catch (DateTimeParseException e) {
            throw new TypeConversionException("'" + text + "' is not a duration (examples: 500ms, 30s, 2m, PT1M)");
        }
    }

    /** Sleeps between two polls; an interrupt ends the command. */
    public static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure(ExitCode.FAILURE, "interrupted (the wait was canceled)", e);
        }
    }

    /** A short human form: 850ms, 4.2s, 3m05s. */
    public static String format(Duration d) {
        long ms = d.toMillis();
        if (ms < 1000) {
            return ms + "ms";
        }
        if (ms < 60_000) {
            return String.format(java.util.Locale.ROOT, "%.1fs", ms / 1000.0);
        }
        return String.format(java.util.Locale.ROOT, "%dm%02ds", ms / 60_000, (ms / 1000) % 60);
    }
}
