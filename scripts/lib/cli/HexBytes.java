package statelab.cli;

import java.util.HexFormat;

/** Option values written as bytes in hex ({@code 0000000000000000}, or with a {@code 0x} prefix). */
public final class HexBytes {
    private HexBytes() {}

    /** The bytes {@code text} spells; a usage error naming {@code option} when it is not hex. */
    public static byte[] parse(String option, String text) {
        String s = text.strip().replaceFirst("^0[xX]", "");
        if (s.isEmpty() || s.length() % 2 != 0) {
            throw Failure.of(ExitCode.USAGE, "%s must be bytes in hex, an even number of hex digits; got '%s'", option, text);
        }
        try {
            return HexFormat.of().parseHex(s);
        } catch (IllegalArgumentException e) {
            throw Failure.of(ExitCode.USAGE, "%s must be bytes in hex (0-9, a-f); got '%s'", option, text);
        }
    }
}
