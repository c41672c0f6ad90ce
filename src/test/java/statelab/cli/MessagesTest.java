package statelab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Formattable;
import java.util.Formatter;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class MessagesTest {
    @Test
    void writesWhatStringFormatWrites() {
        Formattable custom = (Formatter f, int flags, int width, int precision) -> f.format("custom");
        Object[][] cases = {
                {"plain text"},
                {"%s holds %d values, fewer than %d", Path.of("/tmp/a b.sst"), 3L, 5},
                {"100%% of %s", "it"},
                {"%s and %s", null, List.of(1, 2)},
                {"%d %d %d %d", (byte) -1, (short) 2, Integer.MIN_VALUE, new BigInteger("123456789012345678901234567890")},
                {"line%nnext %s", "x"},
                {"%,d bytes", 1234567L},
                {"%.1f s", 1.25},
                {"%-8s|", "left"},
                {"%x", 255},
                {"%s", custom},
                {"%d of %s", "not a number", "x"},
                {"%s and %s", "only one"},
                {"trailing %"},
                {"%2$s %1$s", "a", "b"},
                {"%S", "upper"},
        };
        for (Object[] c : cases) {
            String format = (String) c[0];
            Object[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
            assertThat(outcome(() -> Messages.format(format, args))).as(format).isEqualTo(outcome(() -> String.format(format, args)));
        }
    }

    @Test
    void writesEveryMessageOfTheCommandsAsStringFormatDoes() throws IOException {
        // every literal format the commands hand to warn, progress or Failure.of, with an argument of the type each
        // specifier takes
        Pattern call = Pattern.compile("(?:warn|progress|Failure\\.of\\([A-Za-z.]+,)\\s*\\(?\\s*\"((?:[^\"\\\\]|\\\\.)*)\"");
        Pattern spec = Pattern.compile("%(\\d+\\$)?[-#+ 0,(<]*\\d*(\\.\\d+)?([a-zA-Z%])");
        List<String> formats = new ArrayList<>();
        try (Stream<Path> files = Files.walk(Path.of("scripts"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = call.matcher(Files.readString(f));
                while (m.find()) {
                    formats.add(m.group(1).replace("\\\"", "\"").replace("\\\\", "\\"));
                }
            }
        }
        assertThat(formats).as("messages found in scripts/").hasSizeGreaterThan(100);
        for (String format : formats) {
            List<Object> args = new ArrayList<>();
            Matcher m = spec.matcher(format);
            while (m.find()) {
                switch (m.group(3).charAt(0)) {
                    case 's', 'S' -> args.add("text " + args.size());
                    case 'd', 'x' -> args.add(-1234567L + args.size());
                    case 'f' -> args.add(1.5 + args.size());
                    case 'c' -> args.add('c');
                    default -> { } // %n, %%
                }
            }
            Object[] a = args.toArray();
            assertThat(outcome(() -> Messages.format(format, a))).as(format).isEqualTo(outcome(() -> String.format(format, a)));
        }
    }

    /** The text, or the exception's class: a format String.format refuses is refused the same way. */
    private static String outcome(java.util.function.Supplier<String> s) {
        try {
            return s.get();
        } catch (RuntimeException e) {
            return e.getClass().getName();
        }
    }
}
