package statelab.savepoint;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import statelab.cli.Output;

/**
 * {@link StateScan.Entry entries} as JSON lines, written as UTF-8 bytes straight into a buffer: the line Jackson
 * writes for the record (its fields in order, nulls written, strings escaped as Jackson escapes them), without a
 * serializer looked up, a String made or chars encoded per entry. The JSON lines were most of {@code inspect
 * --entries --json}'s time through Jackson (bench/xray). Strings, whole numbers, booleans, nulls and lists of those
 * are written here; any other value (a floating-point number, say) by Jackson, so that both write it alike.
 *
 * <p>The buffer goes to {@code out} when it holds {@value #FLUSH_AT} bytes and on {@link #flush()}.
 */
public final class EntryJson {
    static final int FLUSH_AT = 1 << 16;
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] OPERATOR = ascii("{\"operator\":");
    private static final byte[] SUBTASK = ascii(",\"subtask\":");
    private static final byte[] STATE = ascii(",\"state\":");
    private static final byte[] KEY_GROUP = ascii(",\"keyGroup\":");
    private static final byte[] KEY = ascii(",\"key\":");
    private static final byte[] NAMESPACE = ascii(",\"namespace\":");
    private static final byte[] MAP_KEY = ascii(",\"mapKey\":");
    private static final byte[] VALUE = ascii(",\"value\":");
    private static final byte[] KEY_HEX = ascii(",\"keyHex\":");
    private static final byte[] VALUE_HEX = ascii(",\"valueHex\":");
    private static final byte[] NOTE = ascii(",\"note\":");
    private static final byte[] NULL = ascii("null");
    private static final byte[] TRUE = ascii("true");
    private static final byte[] FALSE = ascii("false");

    private final OutputStream out;
    private byte[] buf = new byte[FLUSH_AT + 4096];
    private int n;

    public EntryJson(OutputStream out) {
        this.out = out;
    }

    /** Writes {@code e} as one line: a JSON object and '\n'. */
    public void write(StateScan.Entry e) throws IOException {
        put(OPERATOR);
        string(e.operator());
        put(SUBTASK);
        whole(e.subtask());
        put(STATE);
        string(e.state());
        put(KEY_GROUP);
        value(e.keyGroup());
        put(KEY);
        value(e.key());
        put(NAMESPACE);
        value(e.namespace());
        put(MAP_KEY);
        value(e.mapKey());
        put(VALUE);
        value(e.value());
        put(KEY_HEX);
        string(e.keyHex());
        put(VALUE_HEX);
        string(e.valueHex());
        put(NOTE);
        string(e.note());
        room(2);
        buf[n++] = '}';
        buf[n++] = '\n';
        if (n >= FLUSH_AT) {
            out.write(buf, 0, n);
            n = 0;
        }
    }

    /** Writes what the buffer holds and flushes {@code out}. */
    public void flush() throws IOException {
        out.write(buf, 0, n);
        n = 0;
        out.flush();
    }

    private void value(Object v) throws IOException {
        if (v == null) {
            put(NULL);
        } else if (v instanceof String s) {
            string(s);
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
            whole(((Number) v).longValue());
        } else if (v instanceof Boolean b) {
            put(b ? TRUE : FALSE);
        } else if (v instanceof List<?> list) {
            room(1);
            buf[n++] = '[';
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    room(1);
                    buf[n++] = ',';
                }
                value(list.get(i));
            }
            room(1);
            buf[n++] = ']';
        } else {
            put(Output.mapper().writeValueAsBytes(v));
        }
    }

    private void whole(long v) {
        room(20);
        if (v >= 0 && v < 10) {
            buf[n++] = (byte) ('0' + v);
            return;
        }
        byte[] digits = Long.toString(v).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(digits, 0, buf, n, digits.length);
        n += digits.length;
    }

    /** A JSON string as Jackson writes one: '"' and '\\' and control characters escaped, the rest as UTF-8. */
    private void string(String s) {
        if (s == null) {
            put(NULL);
            return;
        }
        int length = s.length();
        room(2 + 6 * length); // at most 6 bytes a char (an escape), 4 for a surrogate pair
        byte[] b = buf;
        int p = n;
        b[p++] = '"';
        for (int i = 0; i < length; i++) {
            char c = s.charAt(i);
            if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
                b[p++] = (byte) c;
            } else if (c < 0x80) {
                b[p++] = '\\';
                switch (c) {
                    case '"' -> b[p++] = '"';
                    case '\\' -> b[p++] = '\\';
                    case '\b' -> b[p++] = 'b';
                    case '\t' -> b[p++] = 't';
                    case '\n' -> b[p++] = 'n';
                    case '\f' -> b[p++] = 'f';
                    case '\r' -> b[p++] = 'r';
                    default -> {
                        b[p++] = 'u';
                        b[p++] = '0';
                        b[p++] = '0';
                        b[p++] = HEX[c >> 4];
                        b[p++] = HEX[c & 0xf];
                    }
                }
            } else if (c < 0x800) {
                b[p++] = (byte) (0xc0 | c >> 6);
                b[p++] = (byte) (0x80 | c & 0x3f);
            } else if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(s.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, s.charAt(++i));
                b[p++] = (byte) (0xf0 | cp >> 18);
                b[p++] = (byte) (0x80 | cp >> 12 & 0x3f);
                b[p++] = (byte) (0x80 | cp >> 6 & 0x3f);
                b[p++] = (byte) (0x80 | cp & 0x3f);
            } else if (Character.isSurrogate(c)) {
                b[p++] = '?'; // a lone surrogate: what a UTF-8 writer puts for it
            } else {
                b[p++] = (byte) (0xe0 | c >> 12);
                b[p++] = (byte) (0x80 | c >> 6 & 0x3f);
                b[p++] = (byte) (0x80 | c & 0x3f);
            }
        }
        b[p++] = '"';
        n = p;
    }

    private void put(byte[] bytes) {
        room(bytes.length);
        System.arraycopy(bytes, 0, buf, n, bytes.length);
        n += bytes.length;
    }

    private void room(int more) {
        if (n + more > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, n + more));
        }
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}
