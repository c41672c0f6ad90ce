package statelab.savepoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.base.BooleanSerializer;
import org.apache.flink.api.common.typeutils.base.ByteSerializer;
import org.apache.flink.api.common.typeutils.base.DoubleSerializer;
import org.apache.flink.api.common.typeutils.base.IntSerializer;
import org.apache.flink.api.common.typeutils.base.LongSerializer;
import org.apache.flink.api.common.typeutils.base.ShortSerializer;
import org.apache.flink.api.common.typeutils.base.StringSerializer;
import org.apache.flink.core.memory.DataOutputSerializer;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link EntryJson} writes an entry of a simple layout straight from its bytes ({@link FlinkKeyCodec#simple()}), and
 * that line is the one it writes for the entry decoded by Flink's serializers ({@link StateScan#decode}), byte for
 * byte: every key type against every value type, with 1- and 2-byte key-group prefixes, random values written by
 * Flink's own serializers (Strings of every kind, the extremes of each number), and bytes that are not a valid
 * entry of the state (cut short, a byte too many, a Boolean of 2, a null String), which both write with a note.
 */
class SimpleEntryJsonTest {
    static final List<TypeSerializer<?>> SIMPLE = List.of(StringSerializer.INSTANCE, IntSerializer.INSTANCE, LongSerializer.INSTANCE,
            ShortSerializer.INSTANCE, ByteSerializer.INSTANCE, BooleanSerializer.INSTANCE);

    @ParameterizedTest
    @ValueSource(ints = {128, 32768})
    void everySimpleLayoutIsWrittenFromItsBytesAsItsDecodedEntryIs(int maxParallelism) throws Exception {
        Random r = new Random(maxParallelism);
        for (TypeSerializer<?> keyType : SIMPLE) {
            for (TypeSerializer<?> valueType : SIMPLE) {
                FlinkKeyCodec codec = FlinkKeyCodec.of(keyType, VoidNamespaceSerializer.INSTANCE, valueType, maxParallelism);
                assertThat(codec.simple()).as("%s -> %s", keyType, valueType).isNotNull();
                List<byte[][]> entries = new ArrayList<>();
                for (int i = 0; i < 3000; i++) {
                    byte[] key = codec.encodeKey(value(keyType, r));
                    byte[] value = bytes(valueType, value(valueType, r));
                    entries.add(new byte[][] {key, value});
                    entries.add(new byte[][] {key, spoilt(value, r)});
                    entries.add(new byte[][] {spoilt(key, r), value});
                }
                Written fromBytes = fromBytes(codec, entries);
                assertThat(fromBytes.text()).as("%s -> %s", keyType, valueType).isEqualTo(decoded(codec, entries));
                assertThat(fromBytes.simpleLines()).as("the premise: most lines written from the bytes, %s -> %s", keyType, valueType)
                        .isGreaterThan(entries.size() / 4);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {128, 32768})
    void aLayoutThatIsNotSimpleIsDecoded(int maxParallelism) throws Exception {
        FlinkKeyCodec codec = FlinkKeyCodec.of(StringSerializer.INSTANCE, VoidNamespaceSerializer.INSTANCE, DoubleSerializer.INSTANCE, maxParallelism);
        assertThat(codec.simple()).isNull();
        Random r = new Random(7);
        List<byte[][]> entries = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            entries.add(new byte[][] {codec.encodeKey(text(r)), bytes(DoubleSerializer.INSTANCE, r.nextDouble())});
        }
        Written fromBytes = fromBytes(codec, entries);
        assertThat(fromBytes.text()).isEqualTo(decoded(codec, entries));
        assertThat(fromBytes.simpleLines()).isZero();
    }

    record Written(String text, long simpleLines) {}

    static Written fromBytes(FlinkKeyCodec codec, List<byte[][]> entries) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        EntryJson json = new EntryJson(out);
        for (byte[][] e : entries) {
            json.write("word \"counter\"", 1, "count", codec, e[0], e[1]);
        }
        json.flush();
        return new Written(out.toString(StandardCharsets.UTF_8), json.simpleLines);
    }

    static String decoded(FlinkKeyCodec codec, List<byte[][]> entries) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        EntryJson json = new EntryJson(out);
        for (byte[][] e : entries) {
            json.write(StateScan.decode("word \"counter\"", 1, "count", codec, e[0], e[1]));
        }
        json.flush();
        return out.toString(StandardCharsets.UTF_8);
    }

    /** A value of the serializer's type: random, or one of its extremes. */
    static Object value(TypeSerializer<?> type, Random r) {
        boolean edge = r.nextInt(8) == 0;
        if (type instanceof StringSerializer) {
            return text(r);
        } else if (type instanceof IntSerializer) {
            return edge ? new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE, 0, -1, 9, 10}[r.nextInt(6)] : r.nextInt();
        } else if (type instanceof LongSerializer) {
            return edge ? new long[] {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, 99, 100}[r.nextInt(6)] : r.nextLong() >> r.nextInt(64);
        } else if (type instanceof ShortSerializer) {
            return (short) r.nextInt();
        } else if (type instanceof ByteSerializer) {
            return (byte) r.nextInt();
        }
        return r.nextBoolean();
    }

    /** Mostly ASCII words, sometimes quotes, backslashes, control and non-ASCII characters, and long ones. */
    static String text(Random r) {
        int kind = r.nextInt(10);
        int length = kind == 0 ? 100 + r.nextInt(300) : r.nextInt(12); // 127 and more: a length in two bytes
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int c = kind == 1 ? r.nextInt(0x80) : kind == 2 ? r.nextInt(0x3000) : 'a' + r.nextInt(26);
            sb.append((char) c);
        }
        return sb.toString();
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    static byte[] bytes(TypeSerializer type, Object value) throws Exception {
        DataOutputSerializer out = new DataOutputSerializer(16);
        type.serialize(value, out);
        return out.getCopyOfBuffer();
    }

    /** The bytes made invalid for their state, one of several ways, or left as they are. */
    static byte[] spoilt(byte[] b, Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> Arrays.copyOf(b, Math.max(0, b.length - 1 - r.nextInt(2))); // cut short
            case 1 -> Arrays.copyOf(b, b.length + 1); // a byte too many
            case 2 -> { // one byte changed: a Boolean of 2, a String's length, a char above 0x7f
                byte[] c = b.clone();
                if (c.length > 0) {
                    c[r.nextInt(c.length)] = (byte) (r.nextBoolean() ? 2 : 0x80 | r.nextInt(0x80));
                }
                yield c;
            }
            case 3 -> new byte[0];
            default -> b;
        };
    }
}
