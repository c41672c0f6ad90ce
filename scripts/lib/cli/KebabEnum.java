package statelab.cli;

import java.util.Arrays;
import java.util.Iterator;
import java.util.stream.Collectors;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * Option values that are enum constants typed with hyphens ({@code same-size}, {@code mid-checkpoint}) where Java
 * names need underscores. An enum overrides {@code toString()} with {@link #name(Enum)} (and marks it
 * {@code @JsonValue}, so --json writes what a user types); a command registers {@link Converter} and
 * {@link Candidates} subclasses for its option, so help, completion and errors list the values as typed.
 */
public final class KebabEnum {
    private KebabEnum() {}

    /** The constant as typed: {@code same_size} → {@code same-size}. */
    public static String name(Enum<?> value) {
        return value.name().replace('_', '-');
    }

    /** The constant typed as {@code s}; an unknown one is an {@link IllegalArgumentException} listing them all. */
    public static <E extends Enum<E>> E parse(Class<E> type, String s) {
        for (E e : type.getEnumConstants()) {
            if (name(e).equals(s)) {
                return e;
            }
        }
        throw new IllegalArgumentException("expected one of " + Arrays.stream(type.getEnumConstants()).map(KebabEnum::name)
                .collect(Collectors.joining(", ")) + ", got '" + s + "'");
    }

    /** picocli's converter for one such enum: {@code class ModeConverter extends KebabEnum.Converter<Mode> { … super(Mode.class) } }. */
    public abstract static class Converter<E extends Enum<E>> implements ITypeConverter<E> {
        private final Class<E> type;

        protected Converter(Class<E> type) {
            this.type = type;
        }

        @Override
        public E convert(String value) {
            try {
                return parse(type, value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** The values as typed, for completion and {@code ${COMPLETION-CANDIDATES}}. */
    public abstract static class Candidates<E extends Enum<E>> implements Iterable<String> {
        private final Class<E> type;

        protected Candidates(Class<E> type) {
            this.type = type;
        }

        @Override
        public Iterator<String> iterator() {
            return Arrays.stream(type.getEnumConstants()).map(KebabEnum::name).iterator();
        }
    }
}
