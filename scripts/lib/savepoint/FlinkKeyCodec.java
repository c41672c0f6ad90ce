package statelab.savepoint;

import java.io.IOException;
import java.util.HexFormat;
import org.apache.flink.api.common.typeutils.TypeSerializer;
import org.apache.flink.api.common.typeutils.base.ListSerializer;
import org.apache.flink.api.common.typeutils.base.MapSerializer;
import org.apache.flink.core.memory.DataInputDeserializer;
import org.apache.flink.runtime.state.CompositeKeySerializationUtils;
import org.apache.flink.runtime.state.KeyedBackendSerializationProxy;
import org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot;
import org.apache.flink.runtime.state.metainfo.StateMetaInfoSnapshot.CommonSerializerKeys;

/**
 * Reads RocksDB keys and values of one Flink keyed state the way Flink's RocksDB backend wrote them:
 * {@code [key group: 1 or 2 bytes][key][namespace]} with the key serializer and the state's namespace and value
 * serializers, all restored from the savepoint's own meta data. When a serializer cannot be restored (a user
 * class that is not on this classpath) or the bytes do not decode, the hex form stands in.
 */
public final class FlinkKeyCodec {
    private static final HexFormat HEX = HexFormat.of();
    /** What RocksDBListState writes between two elements of one value. */
    private static final byte LIST_DELIMITER = ',';

    private final TypeSerializer<?> keySerializer;
    private final TypeSerializer<?> namespaceSerializer;
    private final TypeSerializer<?> valueSerializer;
    private final int keyGroupPrefixBytes;
    private final boolean ambiguousKeyPossible;
    private final int maxParallelism;

    private FlinkKeyCodec(TypeSerializer<?> key, TypeSerializer<?> namespace, TypeSerializer<?> value, int maxParallelism) {
        this.keySerializer = key;
        this.namespaceSerializer = namespace;
        this.valueSerializer = value;
        this.maxParallelism = maxParallelism;
        this.keyGroupPrefixBytes = CompositeKeySerializationUtils.computeRequiredBytesInKeyGroupPrefix(maxParallelism);
        this.ambiguousKeyPossible = key != null && namespace != null
                && CompositeKeySerializationUtils.isAmbiguousKeyPossible(key, namespace);
    }

    /** A codec for entries of these serializers (null: not restored) in a job of {@code maxParallelism}. */
    static FlinkKeyCodec of(TypeSerializer<?> key, TypeSerializer<?> namespace, TypeSerializer<?> value, int maxParallelism) {
        return new FlinkKeyCodec(key, namespace, value, maxParallelism);
    }

    /** A codec for state {@code stateName} (the SST's column family); every part it cannot restore stays hex. */
    public static FlinkKeyCodec forState(KeyedBackendSerializationProxy<?> meta, String stateName, int maxParallelism) {
        TypeSerializer<?> key = restore(() -> meta.getKeySerializerSnapshot().restoreSerializer());
        StateMetaInfoSnapshot state = meta.getStateMetaInfoSnapshots().stream()
                .filter(s -> s.getName().equals(stateName)).findFirst().orElse(null);
        TypeSerializer<?> namespace = state == null ? null
                : restore(() -> state.getTypeSerializerSnapshot(CommonSerializerKeys.NAMESPACE_SERIALIZER).restoreSerializer());
        TypeSerializer<?> value = state == null ? null
                : restore(() -> state.getTypeSerializerSnapshot(CommonSerializerKeys.VALUE_SERIALIZER).restoreSerializer());
        return new FlinkKeyCodec(key, namespace, value, maxParallelism);
    }

    private static TypeSerializer<?> restore(java.util.function.Supplier<TypeSerializer<?>> s) {
        try {
            return s.get();
        } catch (RuntimeException | LinkageError e) {
            return null;
        }
    }

    /** The key as Flink's job saw it: {@code zzy} (key group 12), or hex when it does not decode. */
    public String key(byte[] bytes) {
        if (keySerializer == null) {
            return hex(bytes);
        }
        try {
            Key k = decodeKey(bytes);
            return k.key() + " (key group " + k.keyGroup()
                    + (k.namespace() == null ? "" : ", namespace " + k.namespace())
                    + (k.userKey() == null ? "" : ", map key " + k.userKey())
                    + (k.unread() > 0 ? ", +" + k.unread() + " more bytes" : "") + ")";
        } catch (IOException | RuntimeException e) {
            return hex(bytes);
        }
    }

    /** The value as the state's serializer reads it, noting bytes it leaves unread; hex when it does not decode. */
    public String value(byte[] bytes) {
        if (valueSerializer == null) {
            return hex(bytes);
        }
        try {
            DataInputDeserializer in = new DataInputDeserializer(bytes);
            Object value = readValue(in);
            return in.available() > 0 ? value + " (+" + in.available() + " bytes the serializer does not read)" : String.valueOf(value);
        } catch (IOException | RuntimeException e) {
            return hex(bytes) + " (not a valid " + valueSerializer.getClass().getSimpleName() + " value)";
        }
    }

    /** One stored value, as the state's RocksDB backend wrote it; what follows it is left in {@code in}. */
    private Object readValue(DataInputDeserializer in) throws IOException {
        if (valueSerializer instanceof MapSerializer<?, ?> map) {
            // MapState: a null flag, then the map entry's value (RocksDBMapState)
            return in.readBoolean() ? null : map.getValueSerializer().deserialize(in);
        } else if (valueSerializer instanceof ListSerializer<?> list) {
            // ListState: the elements one after the other, a ',' byte between two (RocksDBListState)
            return elements(list.getElementSerializer(), in);
        }
        return valueSerializer.deserialize(in);
    }

    private static java.util.List<Object> elements(TypeSerializer<?> element, DataInputDeserializer in) throws IOException {
        java.util.List<Object> out = new java.util.ArrayList<>();
        while (in.available() > 0) {
            out.add(element.deserialize(in));
            if (in.available() > 0 && in.readByte() != LIST_DELIMITER) {
                throw new IOException("no delimiter after a list element");
            }
        }
        return out;
    }

    /**
     * A RocksDB key of a Flink keyed state, decoded: its key group, the job's key, the namespace (null for
     * VoidNamespace, the namespace of state outside windows), the map key of MapState (else null), and how many
     * bytes the serializers left unread.
     */
    public record Key(int keyGroup, Object key, Object namespace, Object userKey, int unread) {}

    /** A serializer whose bytes {@link EntryJson} reads itself: Flink's own for these types. */
    public enum Simple { STRING, INT, LONG, SHORT, BYTE, BOOLEAN }

    /** The layout of a state's entries when every part of them is {@link Simple}: see {@link #simple()}. */
    public record SimpleLayout(int keyGroupPrefixBytes, Simple key, Simple value) {}

    /**
     * The layout of this state's entries when a reader can take them apart without Flink's serializers: the key's
     * serializer one of the {@link Simple} ones, the namespace VoidNamespace's (state outside windows), the value's
     * one of the simple ones (a value, reducing or aggregating state), the key not followed by its length (Flink
     * writes that only when key and namespace both vary in length). Null otherwise: {@link #decodeKey} and
     * {@link #decodeValue} then.
     */
    public SimpleLayout simple() {
        Simple key = simple(keySerializer);
        Simple value = simple(valueSerializer);
        if (key == null || value == null || ambiguousKeyPossible || namespaceSerializer == null
                || namespaceSerializer.getClass() != org.apache.flink.runtime.state.VoidNamespaceSerializer.class) {
            return null;
        }
        return new SimpleLayout(keyGroupPrefixBytes, key, value);
    }

    private static Simple simple(TypeSerializer<?> s) {
        if (s == null) {
            return null;
        }
        Class<?> c = s.getClass();
        return c == org.apache.flink.api.common.typeutils.base.StringSerializer.class ? Simple.STRING
                : c == org.apache.flink.api.common.typeutils.base.IntSerializer.class ? Simple.INT
                : c == org.apache.flink.api.common.typeutils.base.LongSerializer.class ? Simple.LONG
                : c == org.apache.flink.api.common.typeutils.base.ShortSerializer.class ? Simple.SHORT
                : c == org.apache.flink.api.common.typeutils.base.ByteSerializer.class ? Simple.BYTE
                : c == org.apache.flink.api.common.typeutils.base.BooleanSerializer.class ? Simple.BOOLEAN
                : null;
    }

    /** Whether {@link #decodeKey} and {@link #decodeValue} can decode anything (the key serializer was restored). */
    public boolean decodesKeys() {
        return keySerializer != null;
    }

    public boolean decodesValues() {
        return valueSerializer != null;
    }

    /** The state's kind as its value serializer shows it: map, list, or value (value, reducing, aggregating). */
    public String valueShape() {
        return valueSerializer instanceof MapSerializer<?, ?> ? "map" : valueSerializer instanceof ListSerializer<?> ? "list" : "value";
    }

    /** The key decoded; an {@link IOException} or runtime exception when the bytes are not this state's. */
    public Key decodeKey(byte[] bytes) throws IOException {
        if (keySerializer == null) {
            throw new IOException("the key serializer could not be restored");
        }
        DataInputDeserializer in = new DataInputDeserializer(bytes);
        int keyGroup = CompositeKeySerializationUtils.readKeyGroup(keyGroupPrefixBytes, in);
        Object key = CompositeKeySerializationUtils.readKey(keySerializer, in, ambiguousKeyPossible);
        Object namespace = null;
        if (namespaceSerializer != null) {
            Object ns = CompositeKeySerializationUtils.readNamespace(namespaceSerializer, in, ambiguousKeyPossible);
            namespace = ns instanceof org.apache.flink.runtime.state.VoidNamespace ? null : ns;
        }
        Object userKey = null;
        if (valueSerializer instanceof MapSerializer<?, ?> map && in.available() > 0) {
            userKey = map.getKeySerializer().deserialize(in);
        }
        return new Key(keyGroup, key, namespace, userKey, in.available());
    }

    /** The value decoded (a List for ListState); an exception when the bytes are not this state's. */
    public Object decodeValue(byte[] bytes) throws IOException {
        if (valueSerializer == null) {
            throw new IOException("the value serializer could not be restored");
        }
        DataInputDeserializer in = new DataInputDeserializer(bytes);
        Object value = readValue(in);
        if (in.available() > 0) {
            throw new IOException(in.available() + " bytes left after the value");
        }
        return value;
    }

    /**
     * The RocksDB key Flink writes for {@code key} of a state outside windows (VoidNamespace), in the key group
     * Flink assigns it: what {@code edit --set}/{@code --delete} write. Only value-like states (not map or list).
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public byte[] encodeKey(Object key) throws IOException {
        int keyGroup = org.apache.flink.runtime.state.KeyGroupRangeAssignment.assignToKeyGroup(key, maxParallelism);
        org.apache.flink.core.memory.DataOutputSerializer out = new org.apache.flink.core.memory.DataOutputSerializer(32);
        CompositeKeySerializationUtils.writeKeyGroup(keyGroup, keyGroupPrefixBytes, out);
        CompositeKeySerializationUtils.writeKey(key, (TypeSerializer) keySerializer, out, ambiguousKeyPossible);
        CompositeKeySerializationUtils.writeNameSpace(org.apache.flink.runtime.state.VoidNamespace.INSTANCE,
                (TypeSerializer) namespaceSerializer, out, ambiguousKeyPossible);
        return out.getCopyOfBuffer();
    }

    /**
     * The RocksDB key of one entry of MapState: {@link #encodeKey} of {@code key}, then {@code mapKey} in the map's key
     * serializer (RocksDBMapState's layout).
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public byte[] encodeKey(Object key, Object mapKey) throws IOException {
        byte[] prefix = encodeKey(key);
        if (mapKey == null) {
            return prefix;
        }
        org.apache.flink.core.memory.DataOutputSerializer out = new org.apache.flink.core.memory.DataOutputSerializer(prefix.length + 16);
        out.write(prefix);
        ((TypeSerializer) ((MapSerializer<?, ?>) valueSerializer).getKeySerializer()).serialize(mapKey, out);
        return out.getCopyOfBuffer();
    }

    /**
     * {@code text} as the state stores it: a value-like state's value; MapState's entry value (a null flag, then the
     * value); ListState's elements, given comma-separated, joined with RocksDBListState's ',' byte.
     */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public byte[] encodeStored(String text) throws IOException {
        org.apache.flink.core.memory.DataOutputSerializer out = new org.apache.flink.core.memory.DataOutputSerializer(16);
        if (valueSerializer instanceof MapSerializer<?, ?> map) {
            out.writeBoolean(false);
            ((TypeSerializer) map.getValueSerializer()).serialize(parse(map.getValueSerializer(), text, "map value"), out);
        } else if (valueSerializer instanceof ListSerializer<?> list) {
            String[] elements = text.split(",", -1);
            for (int i = 0; i < elements.length; i++) {
                if (i > 0) {
                    out.writeByte(LIST_DELIMITER);
                }
                ((TypeSerializer) list.getElementSerializer()).serialize(parse(list.getElementSerializer(), elements[i], "list element"), out);
            }
        } else {
            ((TypeSerializer) valueSerializer).serialize(parse(valueSerializer, text, "value"), out);
        }
        return out.getCopyOfBuffer();
    }

    /** Parses {@code text} as a map key of this MapState. */
    public Object parseMapKey(String text) {
        return parse(((MapSerializer<?, ?>) valueSerializer).getKeySerializer(), text, "map key");
    }

    /** The type one stored value is given in: the value's, the map value's, or the list element's. */
    public String storedTypeName() {
        return valueSerializer instanceof MapSerializer<?, ?> m ? typeName(m.getValueSerializer())
                : valueSerializer instanceof ListSerializer<?> l ? typeName(l.getElementSerializer()) : typeName(valueSerializer);
    }

    /** Parses {@code text} as a key of this state (its key serializer's type); a one-line reason when it cannot. */
    public Object parseKey(String text) {
        return parse(keySerializer, text, "key");
    }

    /** The name of the serializer's type, as a user would write it: String, Integer, Long, ... */
    public static String typeName(TypeSerializer<?> serializer) {
        if (serializer == null) {
            return "unknown";
        }
        try {
            Object instance = serializer.createInstance();
            if (instance != null) {
                return instance.getClass().getSimpleName();
            }
        } catch (RuntimeException ignored) {
            // some serializers create no instance; their own name then
        }
        return serializer.getClass().getSimpleName().replace("Serializer", "");
    }

    private static Object parse(TypeSerializer<?> serializer, String text, String what) {
        if (serializer == null) {
            throw new IllegalArgumentException("the " + what + " serializer could not be restored from the savepoint");
        }
        String type = serializer.getClass().getName();
        try {
            return switch (type) {
                case "org.apache.flink.api.common.typeutils.base.StringSerializer" -> text;
                case "org.apache.flink.api.common.typeutils.base.IntSerializer" -> Integer.valueOf(text.trim());
                case "org.apache.flink.api.common.typeutils.base.LongSerializer" -> Long.valueOf(text.trim());
                case "org.apache.flink.api.common.typeutils.base.ShortSerializer" -> Short.valueOf(text.trim());
                case "org.apache.flink.api.common.typeutils.base.ByteSerializer" -> Byte.valueOf(text.trim());
                case "org.apache.flink.api.common.typeutils.base.DoubleSerializer" -> Double.valueOf(text.trim());
                case "org.apache.flink.api.common.typeutils.base.FloatSerializer" -> Float.valueOf(text.trim());
                case "org.apache.flink.api.common.typeutils.base.BooleanSerializer" -> parseBoolean(text.trim());
                case "org.apache.flink.api.common.typeutils.base.CharSerializer" -> {
                    if (text.length() != 1) {
                        throw new NumberFormatException("not one character");
                    }
                    yield text.charAt(0);
                }
                default -> throw new IllegalArgumentException("a " + what + " of type " + typeName(serializer)
                        + " cannot be given on the command line (String, numbers, Boolean and Character can)");
            };
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a valid " + typeName(serializer) + " (the state's " + what + " type)");
        }
    }

    private static Boolean parseBoolean(String text) {
        if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
            return Boolean.valueOf(text);
        }
        throw new NumberFormatException("not true or false");
    }

    public static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }
}
