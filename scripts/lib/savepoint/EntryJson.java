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
 * <p>An entry of a state whose parts all have simple serializers ({@link FlinkKeyCodec#simple()}: a String or
 * number key, no namespace, a String, number or Boolean value) is written straight from its RocksDB key and value,
 * with no {@link StateScan.Entry}, String, boxed number or hex String made: {@link #write(StateScan.Stream)}. The
 * line is the one {@link #write(StateScan.Entry)} writes for the decoded entry, byte for byte (SimpleEntryJsonTest); an
 * entry whose bytes it does not take apart to the end (a String with a character that needs escaping or is not
 * ASCII, a value of another length) is decoded and written as any other.
 *
 * <p>The buffer goes to {@code out} when it holds {@value #FLUSH_AT} bytes and on {@link #flush()}.
 */
public final class EntryJson {
    static final int FLUSH_AT = 1 << 16;
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEX_LOWER = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    /** What follows the key in a simple entry's line: it has no namespace and no map key. */
    private static final byte[] AFTER_KEY = ascii(",\"namespace\":null,\"mapKey\":null,\"value\":");
    private static final byte[] AFTER_HEX = ascii(",\"note\":null}\n");
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

    /** How many lines were written from the entries' bytes (the rest decoded). */
    long simpleLines;
    // the state of the last entry written, its layout and what its lines start with
    private FlinkKeyCodec lastCodec;
    private int lastSubtask;
    private String lastState;
    private String lastOperator;
    private FlinkKeyCodec.SimpleLayout simple;
    /** The start of a simple entry's line, up to its key group: operator, subtask, state. */
    private byte[] lineStart;

    public EntryJson(OutputStream out) {
        this.out = out;
    }

    /**
     * Writes the stream's current entry as one line: from its bytes where its state's layout is simple, else
     * decoded. Returns whether it decoded in full (false: the line has a note).
     */
    public boolean write(StateScan.Stream s) throws IOException {
        return write(s.operatorLabel(), s.subtaskIndex(), s.state(), s.codec(), s.key(), s.value());
    }

    /**
     * Writes the entry of {@code key} and {@code value} of one subtask's state, which {@code codec} reads, as
     * {@link #write(StateScan.Entry)} writes {@link StateScan#decode} of it. Returns whether it decoded in full.
     */
    public boolean write(String operator, int subtask, String state, FlinkKeyCodec codec, byte[] key, byte[] value) throws IOException {
        if (codec != lastCodec || subtask != lastSubtask || !state.equals(lastState) || !operator.equals(lastOperator)) {
            lastCodec = codec;
            lastSubtask = subtask;
            lastState = state;
            lastOperator = operator;
            simple = codec.simple();
            int start = n;
            put(OPERATOR);
            string(operator);
            put(SUBTASK);
            whole(subtask);
            put(STATE);
            string(state);
            put(KEY_GROUP);
            lineStart = Arrays.copyOfRange(buf, start, n);
            n = start;
        }
        if (simple != null) {
            int start = n;
            if (simpleLine(key, value)) {
                simpleLines++;
                flushIfFull();
                return true;
            }
            n = start; // not all of it simple after all: decoded below
        }
        StateScan.Entry e = StateScan.decode(operator, subtask, state, codec, key, value);
        write(e);
        return e.note() == null;
    }

    /** Writes the line of a simple entry; false, with part of it written, when its bytes are not all simple. */
    private boolean simpleLine(byte[] key, byte[] value) {
        int prefix = simple.keyGroupPrefixBytes();
        if (key.length < prefix + 1) {
            return false;
        }
        room(lineStart.length + 2 * key.length + 2 * value.length + 120 + key.length + value.length);
        put(lineStart);
        whole(prefix == 1 ? key[0] & 0xff : (key[0] & 0xff) << 8 | key[1] & 0xff);
        put(KEY);
        // the key, then VoidNamespace's one byte, and nothing after it
        if (simpleValue(simple.key(), key, prefix, key.length - 1) != key.length - 1) {
            return false;
        }
        put(AFTER_KEY);
        if (simpleValue(simple.value(), value, 0, value.length) != value.length) {
            return false;
        }
        put(KEY_HEX);
        hex(key);
        put(VALUE_HEX);
        hex(value);
        put(AFTER_HEX);
        return true;
    }

    /**
     * Writes the value {@code kind}'s serializer reads from {@code b} at {@code off} (not past {@code end}); returns
     * where it ends, or -1 when the bytes are not one this writer takes apart.
     */
    private int simpleValue(FlinkKeyCodec.Simple kind, byte[] b, int off, int end) {
        switch (kind) {
            case INT -> {
                if (end - off < 4) {
                    return -1;
                }
                whole((b[off] & 0xff) << 24 | (b[off + 1] & 0xff) << 16 | (b[off + 2] & 0xff) << 8 | b[off + 3] & 0xff);
                return off + 4;
            }
            case LONG -> {
                if (end - off < 8) {
                    return -1;
                }
                long v = 0;
                for (int i = 0; i < 8; i++) {
                    v = v << 8 | b[off + i] & 0xff;
                }
                whole(v);
                return off + 8;
            }
            case SHORT -> {
                if (end - off < 2) {
                    return -1;
                }
                whole((short) ((b[off] & 0xff) << 8 | b[off + 1] & 0xff));
                return off + 2;
            }
            case BYTE -> {
                if (end - off < 1) {
                    return -1;
                }
                whole(b[off]);
                return off + 1;
            }
            case BOOLEAN -> {
                if (end - off < 1 || (b[off] != 0 && b[off] != 1)) {
                    return -1;
                }
                put(b[off] == 1 ? TRUE : FALSE);
                return off + 1;
            }
            case STRING -> {
                return simpleString(b, off, end);
            }
            default -> {
                return -1;
            }
        }
    }

    /**
     * A String as Flink's StringSerializer writes it (StringValue: its length + 1, then each char, both in 7-bit
     * groups, low first, the high bit set on all but the last), written when every char is printable ASCII that
     * JSON does not escape; else -1 (null, escapes and other chars are left to the decoded path).
     */
    private int simpleString(byte[] b, int off, int end) {
        int p = off;
        if (p >= end) {
            return -1;
        }
        int len = b[p++] & 0xff;
        if (len >= 0x80) {
            len &= 0x7f;
            int shift = 7;
            int curr;
            do {
                if (p >= end || shift > 28) {
                    return -1;
                }
                curr = b[p++] & 0xff;
                len |= (curr & 0x7f) << shift;
                shift += 7;
            } while (curr >= 0x80);
        }
        if (len <= 0 || len - 1 > end - p) {
            return -1; // null (0), or longer than what is left: one byte a char at least
        }
        int chars = len - 1;
        room(chars + 2);
        byte[] o = buf;
        int q = n;
        o[q++] = '"';
        for (int i = 0; i < chars; i++) {
            byte c = b[p++];
            if (c < 0x20 || c == '"' || c == '\\') { // negative: a char above 0x7f, written in more bytes
                return -1;
            }
            o[q++] = c;
        }
        o[q++] = '"';
        n = q;
        return p;
    }

    private void hex(byte[] bytes) {
        room(2 * bytes.length + 2);
        byte[] o = buf;
        int q = n;
        o[q++] = '"';
        for (byte x : bytes) {
            o[q++] = HEX_LOWER[(x >> 4) & 0xf];
            o[q++] = HEX_LOWER[x & 0xf];
        }
        o[q++] = '"';
        n = q;
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
        flushIfFull();
    }

    private void flushIfFull() throws IOException {
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
        if (v == Long.MIN_VALUE) {
            byte[] digits = Long.toString(v).getBytes(StandardCharsets.US_ASCII);
            System.arraycopy(digits, 0, buf, n, digits.length);
            n += digits.length;
            return;
        }
        if (v < 0) {
            buf[n++] = '-';
            v = -v;
        }
        int digits = 1;
        for (long t = v; t >= 10; t /= 10) {
            digits++;
        }
        for (int i = n + digits - 1; i >= n; i--) {
            buf[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        n += digits;
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
