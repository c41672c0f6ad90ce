package statelab.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * ResultJson against the ObjectMapper it stands in for: every record class of the toolkit (the compiled scripts
 * and their shared code), built with generated values, twice (every reference component set, and every one null),
 * is written by both and compared character for character. A record ResultJson leaves to the mapper is counted.
 */
class ResultJsonTest {
    private static final Path CLASSES = Path.of("target/classes");

    record Shapes(String text, int small, long big, Double ratio, double nan, boolean flag, Character letter,
            List<String> words, Set<Long> numbers, Map<String, Object> fields, byte[] raw, long[] longs, int[] ints,
            Path file, Kind kind, Plain plain, BigInteger huge, BigDecimal exact, Object[] objects, Inner inner) {}

    record Inner(String name, Inner next) {}

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Sparse(String a, Integer b, List<String> c) {}

    record WithGetter(String a) {
        public String getB() {
            return "b";
        }
    }

    record Empty() {}

    enum Kind {
        SAME_SIZE;

        @com.fasterxml.jackson.annotation.JsonValue
        @Override
        public String toString() {
            return KebabEnum.name(this);
        }
    }

    enum Plain { ONE }

    @Test
    void writesWhatTheMapperWritesForEveryShapeItKnows() throws Exception {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("n", 1);
        fields.put("s", "x\"y\n\u00e9\u0001");
        fields.put("none", null);
        fields.put("list", List.of(1L, 2L));
        fields.put("nested", Map.of("k", List.of()));
        Shapes full = new Shapes("a \"quoted\" \\ text \u2603", -3, Long.MIN_VALUE, 1e-7, Double.NaN, true, 'c',
                List.of("a", "b"), new TreeSet<>(List.of(3L, 1L)), fields, new byte[] {0, 1, -1, 42}, new long[] {1, -2},
                new int[] {}, Path.of("/tmp/a b/c%d.sst"), Kind.SAME_SIZE, Plain.ONE, BigInteger.TEN.pow(30),
                new BigDecimal("1.50"), new Object[] {1, "two", null}, new Inner("x", new Inner("y", null)));
        Shapes nulls = new Shapes(null, 0, 0, null, Double.POSITIVE_INFINITY, false, null, null, null, null, null, null,
                null, null, null, null, null, null, null, null);
        for (Object value : List.of(full, nulls, new Sparse(null, 2, null), new Sparse("a", null, List.of()), new Empty(),
                List.of(full), Map.of("k", new Empty()), "plain", 12, 3.25, Kind.SAME_SIZE)) {
            String light = ResultJson.write(value);
            assertThat(light).as("%s", value).isNotNull().isEqualTo(Output.mapper().writeValueAsString(value));
        }
    }

    @Test
    void leavesToTheMapperWhatItDoesNotWriteTheSameWay() {
        assertThat(ResultJson.write(new WithGetter("a"))).isNull();
        assertThat(ResultJson.write(Map.of(1, "integer key"))).isNull();
        assertThat(ResultJson.write(java.util.Optional.of("x"))).isNull();
        assertThat(ResultJson.write(List.of(java.time.Duration.ofSeconds(1)))).isNull();
        // and Output.toJson still writes them, through the mapper
        assertThat(Output.toJson(new WithGetter("a"))).isEqualTo("{\"a\":\"a\",\"b\":\"b\"}");
    }

    @Test
    void everyRecordOfTheToolkitComesOutAsTheMapperWritesIt() throws Exception {
        List<Class<?>> records = toolkitRecords();
        int compared = 0;
        List<String> toMapper = new ArrayList<>();
        List<String> notBuilt = new ArrayList<>();
        for (Class<?> type : records) {
            for (boolean withNulls : new boolean[] {false, true}) {
                Object value;
                try {
                    value = build(type, withNulls, 0);
                } catch (CannotBuild e) {
                    notBuilt.add(type.getName() + " (" + e.getMessage() + ")");
                    break;
                }
                String expected;
                try {
                    expected = Output.mapper().writeValueAsString(value);
                } catch (IOException e) {
                    break; // the mapper cannot write it either (a record that is never printed)
                }
                String light = ResultJson.write(value);
                if (light == null) {
                    toMapper.add(type.getName());
                    break;
                }
                assertThat(light).as("%s (nulls: %s)", type.getName(), withNulls).isEqualTo(expected);
                compared++;
            }
        }
        System.out.printf("ResultJsonTest: %d record classes, %d instances compared; left to the mapper: %s; not built: %s%n",
                records.size(), compared, toMapper, notBuilt);
        assertThat(records).as("record classes found under %s", CLASSES).hasSizeGreaterThan(50);
        assertThat(compared).as("instances compared").isGreaterThan(records.size());
        // the results of the commands that run most in pipes take the light path, not the mapper's
        for (String result : List.of("statelab.SwapSst$Swapped", "statelab.Savepoint$Taken", "statelab.Submit$Submitted",
                "statelab.Resume$Resumed", "statelab.Experiment$Record")) {
            assertThat(records).extracting(Class::getName).contains(result);
            assertThat(toMapper).as("left to the mapper").doesNotContain(result);
            assertThat(notBuilt).as("not built").noneMatch(s -> s.startsWith(result + " "));
        }
    }

    private static List<Class<?>> toolkitRecords() throws IOException {
        List<Class<?>> found = new ArrayList<>();
        try (Stream<Path> files = Files.walk(CLASSES)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).sorted().toList()) {
                String name = CLASSES.relativize(f).toString().replace('/', '.').replaceAll("\\.class$", "");
                if (!name.startsWith("statelab.")) {
                    continue;
                }
                try {
                    Class<?> c = Class.forName(name, false, ResultJsonTest.class.getClassLoader());
                    if (c.isRecord()) {
                        found.add(c);
                    }
                } catch (ClassNotFoundException | LinkageError e) {
                    // a class that needs what the test classpath lacks is not a result it prints
                }
            }
        }
        return found;
    }

    private static final class CannotBuild extends Exception {
        CannotBuild(String why) {
            super(why, null, false, false);
        }
    }

    private static Object build(Class<?> type, boolean withNulls, int depth) throws CannotBuild {
        RecordComponent[] components = type.getRecordComponents();
        Class<?>[] types = new Class<?>[components.length];
        Object[] values = new Object[components.length];
        for (int i = 0; i < components.length; i++) {
            types[i] = components[i].getType();
            values[i] = withNulls && !types[i].isPrimitive() ? null : value(components[i].getGenericType(), depth + 1);
        }
        try {
            Constructor<?> c = type.getDeclaredConstructor(types);
            c.setAccessible(true);
            return c.newInstance(values);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new CannotBuild("constructor: " + e);
        }
    }

    private static Object value(Type t, int depth) throws CannotBuild {
        if (depth > 10) {
            throw new CannotBuild("too deep");
        }
        Class<?> raw = t instanceof Class<?> c ? c : t instanceof ParameterizedType p ? (Class<?>) p.getRawType() : null;
        if (t instanceof WildcardType w) {
            return value(w.getUpperBounds()[0], depth);
        }
        if (raw == null) {
            throw new CannotBuild("type " + t);
        }
        if (raw == String.class || raw == CharSequence.class) {
            return "s \"" + depth + "\"";
        } else if (raw == int.class || raw == Integer.class) {
            return 7;
        } else if (raw == long.class || raw == Long.class) {
            return 1234567890123L;
        } else if (raw == boolean.class || raw == Boolean.class) {
            return true;
        } else if (raw == double.class || raw == Double.class) {
            return 0.1 + 0.2;
        } else if (raw == float.class || raw == Float.class) {
            return 1.5f;
        } else if (raw == short.class || raw == Short.class) {
            return (short) 3;
        } else if (raw == byte.class || raw == Byte.class) {
            return (byte) 4;
        } else if (raw == char.class || raw == Character.class) {
            return 'q';
        } else if (raw == byte[].class) {
            return new byte[] {1, 2, 3};
        } else if (raw == long[].class) {
            return new long[] {5, 6};
        } else if (raw == int[].class) {
            return new int[] {8};
        } else if (raw == double[].class) {
            return new double[] {0.25};
        } else if (raw == Path.class) {
            return Path.of("/tmp/some dir/000015.sst");
        } else if (raw == Object.class) {
            return "object";
        } else if (raw.isEnum()) {
            Object[] constants = raw.getEnumConstants();
            if (constants.length == 0) {
                throw new CannotBuild("empty enum " + raw);
            }
            return constants[constants.length - 1];
        } else if (raw.isRecord()) {
            return build(raw, false, depth);
        } else if ((raw == List.class || raw == Collection.class || raw == Iterable.class || raw == Set.class)
                && t instanceof ParameterizedType p) {
            Object element = value(p.getActualTypeArguments()[0], depth + 1);
            return raw == Set.class ? Set.of(element) : List.of(element);
        } else if (raw == Map.class && t instanceof ParameterizedType p && p.getActualTypeArguments()[0] == String.class) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("key", value(p.getActualTypeArguments()[1], depth + 1));
            return m;
        }
        throw new CannotBuild("type " + t);
    }
}
