package statelab.savepoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import statelab.cli.Output;

/**
 * {@link EntryJson} writes the line Jackson writes for an entry, byte for byte (Jackson through a UTF-8 writer, as
 * {@code inspect --json} printed before): strings of every ASCII character and of random Unicode (surrogate pairs
 * and lone surrogates included), whole numbers, booleans, nulls, lists, and values it hands to Jackson.
 */
class EntryJsonTest {
    static String jackson(List<StateScan.Entry> entries) {
        StringWriter s = new StringWriter();
        PrintWriter w = new PrintWriter(s);
        entries.forEach(e -> w.print(Output.toJson(e) + "\n"));
        w.flush();
        // what a UTF-8 writer makes of the chars (a lone surrogate becomes '?'), read back
        return new String(s.toString().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    static String entryJson(List<StateScan.Entry> entries) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        EntryJson json = new EntryJson(out);
        for (StateScan.Entry e : entries) {
            json.write(e);
        }
        json.flush();
        return out.toString(StandardCharsets.UTF_8);
    }

    static StateScan.Entry entry(Object key, Object value, String note) {
        return new StateScan.Entry("word-counter", 1, "count", 17, key, null, null, value, "0011", "00000002", note);
    }

    @Test
    void everyAsciiCharacterIsWrittenOrEscapedAsJacksonDoes() throws Exception {
        List<StateScan.Entry> entries = new ArrayList<>();
        for (char c = 0; c < 0x80; c++) {
            entries.add(entry("k" + c + "x", String.valueOf(c), c % 2 == 0 ? null : "note " + c));
        }
        assertThat(entryJson(entries)).isEqualTo(jackson(entries));
    }

    @Test
    void randomValuesOfEveryShapeAreWrittenAsJacksonWritesThem() throws Exception {
        Random r = new Random(11);
        List<StateScan.Entry> entries = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            entries.add(new StateScan.Entry(text(r), r.nextInt(4), text(r), r.nextBoolean() ? null : r.nextInt(32768),
                    value(r, 2), r.nextInt(5) == 0 ? value(r, 1) : null, r.nextInt(5) == 0 ? value(r, 1) : null, value(r, 2),
                    text(r), text(r), r.nextInt(3) == 0 ? text(r) : null));
        }
        String expected = jackson(entries);
        assertThat(entryJson(entries)).isEqualTo(expected);
        assertThat(expected).as("the premise: escapes, surrogate pairs, lone surrogates, lists, doubles")
                .contains("\\u00", "\\n", "\\\"", "?", "[", "E", ".").containsPattern("[\\x{10000}-\\x{10FFFF}]");
    }

    static Object value(Random r, int depth) {
        return switch (r.nextInt(depth > 0 ? 11 : 10)) {
            case 0 -> null;
            case 1 -> r.nextInt();
            case 2 -> r.nextLong();
            case 3 -> (short) r.nextInt();
            case 4 -> (byte) r.nextInt();
            case 5 -> r.nextBoolean();
            case 6 -> r.nextDouble() * Math.pow(10, r.nextInt(40) - 20);
            case 7 -> r.nextFloat();
            case 8, 9 -> text(r);
            default -> {
                List<Object> list = new ArrayList<>();
                for (int i = r.nextInt(4); i > 0; i--) {
                    list.add(value(r, depth - 1));
                }
                yield list;
            }
        };
    }

    static String text(Random r) {
        StringBuilder sb = new StringBuilder();
        for (int i = r.nextInt(12); i > 0; i--) {
            int kind = r.nextInt(10);
            if (kind < 5) {
                sb.append((char) r.nextInt(0x80));
            } else if (kind < 7) {
                sb.append((char) (0x80 + r.nextInt(0xd800 - 0x80)));
            } else if (kind < 9) {
                sb.appendCodePoint(0x10000 + r.nextInt(0x10ffff - 0x10000));
            } else {
                sb.append((char) (0xd800 + r.nextInt(0x800))); // a lone surrogate
            }
        }
        return sb.toString();
    }
}
