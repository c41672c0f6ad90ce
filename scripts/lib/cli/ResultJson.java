package statelab.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.annotation.Annotation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Writes a command's result as JSON text, the text Jackson's {@code ObjectMapper} writes for it, through
 * jackson-core's generator alone. A command that prints one result with {@code --json} spent 80-90 ms on its first
 * {@code ObjectMapper} (its set-up, then its serializer for the result's record, built by introspection in the
 * interpreter): a fifth of {@code swap-sst --in-place} on 1 GiB. The generator starts in a few milliseconds.
 *
 * <p>It knows the shapes results are made of: records, maps with string keys, collections and arrays, strings,
 * numbers, booleans, enums (through their {@code @JsonValue} method where they have one), {@code byte[]} (Base64)
 * and {@code Path} (its URI, as Jackson writes it). A record is written component by component, in their order; one
 * annotated {@code @JsonInclude(NON_NULL)} leaves its null components out. Anything else, and any record that
 * Jackson would read differently (other Jackson annotations, getter-like methods besides its components), is not
 * guessed at: {@link #write} returns null and the caller uses the {@code ObjectMapper}. ResultJsonTest holds it to the
 * mapper's output for every record class of the toolkit.
 */
final class ResultJson {
    private static final JsonFactory FACTORY = new JsonFactory();

    private ResultJson() {}

    /** Thrown inside {@link #write(Object)} at a value it does not write as Jackson would. */
    private static final class Unsupported extends Exception {
        Unsupported() {
            super(null, null, false, false);
        }
    }

    /** {@code value} as JSON text, or null when it holds something only the {@code ObjectMapper} writes right. */
    static String write(Object value) {
        StringWriter text = new StringWriter(512);
        try (JsonGenerator g = FACTORY.createGenerator(text)) {
            write(g, value);
        } catch (Unsupported u) {
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    private static void write(JsonGenerator g, Object v) throws IOException, Unsupported {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            g.writeNumber(((Number) v).intValue());
        } else if (v instanceof Long l) {
            g.writeNumber(l);
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v instanceof Float f) {
            g.writeNumber(f);
        } else if (v instanceof BigInteger b) {
            g.writeNumber(b);
        } else if (v instanceof BigDecimal b) {
            g.writeNumber(b);
        } else if (v instanceof Character c) {
            g.writeString(c.toString());
        } else if (v instanceof Enum<?> e) {
            writeEnum(g, e);
        } else if (v instanceof Map<?, ?> m) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : m.entrySet()) {
                if (!(e.getKey() instanceof String key)) {
                    throw new Unsupported();
                }
                g.writeFieldName(key);
                write(g, e.getValue());
            }
            g.writeEndObject();
        } else if (v instanceof Collection<?> c) {
            g.writeStartArray();
            for (Object o : c) {
                write(g, o);
            }
            g.writeEndArray();
        } else if (v instanceof byte[] b) {
            g.writeBinary(b);
        } else if (v instanceof Object[] a) {
            g.writeStartArray();
            for (Object o : a) {
                write(g, o);
            }
            g.writeEndArray();
        } else if (v instanceof long[] a) {
            g.writeArray(a, 0, a.length);
        } else if (v instanceof int[] a) {
            g.writeArray(a, 0, a.length);
        } else if (v instanceof double[] a) {
            g.writeArray(a, 0, a.length);
        } else if (v instanceof Path p) {
            g.writeString(p.toUri().toString());
        } else if (v instanceof Record r) {
            writeRecord(g, r);
        } else {
            throw new Unsupported();
        }
    }

    /**
     * How a record class is written, found by reflection once per class (a diff prints one record per changed key):
     * its components' names and accessors, whether nulls are left out; null when it is the mapper's to write.
     */
    private record RecordShape(String[] names, Method[] accessors, boolean nonNull) {}

    private static final ClassValue<Optional<RecordShape>> RECORDS = new ClassValue<>() {
        @Override
        protected Optional<RecordShape> computeValue(Class<?> type) {
            return Optional.ofNullable(recordShape(type));
        }
    };

    /** An enum's {@code @JsonValue} method (empty: its name is written), or null when it is the mapper's to write. */
    private static final ClassValue<Optional<Optional<Method>>> ENUMS = new ClassValue<>() {
        @Override
        protected Optional<Optional<Method>> computeValue(Class<?> type) {
            return Optional.ofNullable(jsonValueMethod(type));
        }
    };

    private static void writeEnum(JsonGenerator g, Enum<?> e) throws IOException, Unsupported {
        Optional<Method> jsonValue = ENUMS.get(e.getDeclaringClass()).orElseThrow(Unsupported::new);
        if (jsonValue.isPresent()) {
            write(g, invoke(jsonValue.get(), e));
        } else {
            g.writeString(e.name());
        }
    }

    private static Optional<Method> jsonValueMethod(Class<?> type) {
        if (jacksonAnnotated(type.getAnnotations())) {
            return null;
        }
        for (Method[] methods : new Method[][] {type.getDeclaredMethods(), type.getMethods()}) {
            for (Method m : methods) {
                if (m.isAnnotationPresent(JsonValue.class)) {
                    return accessible(m) ? Optional.of(m) : null;
                }
            }
        }
        return Optional.empty();
    }

    private static void writeRecord(JsonGenerator g, Record r) throws IOException, Unsupported {
        RecordShape shape = RECORDS.get(r.getClass()).orElseThrow(Unsupported::new);
        g.writeStartObject();
        for (int i = 0; i < shape.names().length; i++) {
            Object value = invoke(shape.accessors()[i], r);
            if (value == null && shape.nonNull()) {
                continue;
            }
            g.writeFieldName(shape.names()[i]);
            write(g, value);
        }
        g.writeEndObject();
    }

    private static RecordShape recordShape(Class<?> type) {
        JsonInclude include = type.getAnnotation(JsonInclude.class);
        boolean nonNull = include != null && include.value() == JsonInclude.Include.NON_NULL;
        for (Annotation a : type.getAnnotations()) {
            if (a != include && isJackson(a)) {
                return null;
            }
        }
        RecordComponent[] components = type.getRecordComponents();
        String[] names = new String[components.length];
        Method[] accessors = new Method[components.length];
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            if (jacksonAnnotated(c.getAnnotations()) || jacksonAnnotated(c.getAccessor().getAnnotations())
                    || !accessible(c.getAccessor())) {
                return null;
            }
            names[i] = c.getName();
            accessors[i] = c.getAccessor();
        }
        Set<String> componentNames = Set.of(names);
        for (Method m : type.getMethods()) { // Jackson writes getX() and isX() too: such a record is its to write
            if (!Modifier.isStatic(m.getModifiers()) && m.getParameterCount() == 0 && m.getDeclaringClass() == type
                    && !componentNames.contains(m.getName()) && (getterLike(m.getName(), "get") || getterLike(m.getName(), "is"))) {
                return null;
            }
        }
        return new RecordShape(names, accessors, nonNull);
    }

    /** Makes {@code m} callable from here (a record or enum declared private in a command); false where it cannot be. */
    private static boolean accessible(Method m) {
        try {
            m.setAccessible(true);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static boolean getterLike(String name, String prefix) {
        return name.length() > prefix.length() && name.startsWith(prefix) && Character.isUpperCase(name.charAt(prefix.length()));
    }

    private static boolean jacksonAnnotated(Annotation[] annotations) {
        for (Annotation a : annotations) {
            if (isJackson(a)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isJackson(Annotation a) {
        return a.annotationType().getName().startsWith("com.fasterxml.jackson.");
    }

    private static Object invoke(Method m, Object target) throws Unsupported {
        try {
            return m.invoke(target);
        } catch (IllegalAccessException | InvocationTargetException | RuntimeException e) {
            throw new Unsupported();
        }
    }
}
