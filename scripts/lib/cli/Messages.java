package statelab.cli;

import java.math.BigInteger;
import java.util.Formattable;

/**
 * {@link String#format} for the one-line messages of the commands (warnings, progress, errors), without
 * {@link java.util.Formatter}'s start-up where the message needs none of it: a JVM's first {@code String.format}
 * costs 12–30 ms here (its pattern compiled in the interpreter, and for a {@code %d} under a locale other than
 * {@code Locale.US} the locale's number symbols loaded), a fifth of a short command's own work
 * (bench/sst-engine/README.md).
 *
 * <p>{@code %s} of an argument that is not {@link Formattable}, {@code %d} of an integer type, {@code %%} and
 * {@code %n} are written directly, as {@code String.format} writes them without flags, width or precision; a
 * message with any other specifier goes to {@code String.format} whole, so the text never depends on which way
 * it took (for a default locale whose digits are 0 to 9, as Java's are unless a locale asks otherwise).
 */
public final class Messages {
    private Messages() {}

    public static String format(String format, Object... args) {
        StringBuilder sb = new StringBuilder(format.length() + 16 * args.length);
        int next = 0;
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%') {
                sb.append(c);
                continue;
            }
            char conversion = i + 1 < format.length() ? format.charAt(++i) : 0;
            if (conversion == '%') {
                sb.append('%');
            } else if (conversion == 'n') {
                sb.append(System.lineSeparator());
            } else if (conversion == 's' && next < args.length && !(args[next] instanceof Formattable)) {
                sb.append(args[next++]);
            } else if (conversion == 'd' && next < args.length && isInteger(args[next])) {
                sb.append(args[next++]);
            } else {
                return String.format(format, args);
            }
        }
        return sb.toString();
    }

    private static boolean isInteger(Object o) {
        return o instanceof Long || o instanceof Integer || o instanceof Short || o instanceof Byte || o instanceof BigInteger;
    }
}
