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

    private FlinkKeyCodec(TypeSerializer<?> key, TypeSerializer<?> namespace, TypeSerializer<?> value, int maxParallelism) {
        this.keySerializer = key;
        this.namespaceSerializer = namespace;
        this.valueSerializer = value;
        this.keyGroupPrefixBytes = CompositeKeySerializationUtils.computeRequiredBytesInKeyGroupPrefix(maxParallelism);
        this.ambiguousKeyPossible = key != null && namespace != null
                && CompositeKeySerializationUtils.isAmbiguousKeyPossible(key, namespace);
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
            DataInputDeserializer in = new DataInputDeserializer(bytes);
            int keyGroup = CompositeKeySerializationUtils.readKeyGroup(keyGroupPrefixBytes, in);
            Object key = CompositeKeySerializationUtils.readKey(keySerializer, in, ambiguousKeyPossible);
            String namespace = "";
            if (namespaceSerializer != null) {
                Object ns = CompositeKeySerializationUtils.readNamespace(namespaceSerializer, in, ambiguousKeyPossible);
                String s = String.valueOf(ns);
                namespace = s.startsWith("VoidNamespace") ? "" : ", namespace " + s;
            }
            String mapKey = "";
            if (valueSerializer instanceof MapSerializer<?, ?> map && in.available() > 0) {
                // MapState: one RocksDB entry per map entry, the user key after the namespace
                mapKey = ", map key " + map.getKeySerializer().deserialize(in);
            }
            String rest = in.available() > 0 ? ", +" + in.available() + " more bytes" : "";
            return key + " (key group " + keyGroup + namespace + mapKey + rest + ")";
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
            Object value;
            if (valueSerializer instanceof MapSerializer<?, ?> map) {
                // MapState: a null flag, then the map entry's value (RocksDBMapState)
                value = in.readBoolean() ? null : map.getValueSerializer().deserialize(in);
            } else if (valueSerializer instanceof ListSerializer<?> list) {
                // ListState: the elements one after the other, a ',' byte between two (RocksDBListState)
                value = elements(list.getElementSerializer(), in);
            } else {
                value = valueSerializer.deserialize(in);
            }
            return in.available() > 0 ? value + " (+" + in.available() + " bytes the serializer does not read)" : String.valueOf(value);
        } catch (IOException | RuntimeException e) {
            return hex(bytes) + " (not a valid " + valueSerializer.getClass().getSimpleName() + " value)";
        }
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

    public static String hex(byte[] bytes) {
        return HEX.formatHex(bytes);
    }
}
