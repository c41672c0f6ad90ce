///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.rocksdb:rocksdbjni:10.10.1
//DEPS info.picocli:picocli:4.7.7
//SOURCES src/FlinkLikeSst.java
//DESCRIPTION Write a Flink-like RocksDB SST (String keys, 8-byte values) of a given size or entry count; print its path.
package statelab.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.rocksdb.ChecksumType;
import org.rocksdb.CompressionType;
import org.rocksdb.RocksDBException;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code GenerateSst FILE (--size SIZE | --entries N) [table options]}: the benchmarks' input (bench/swap-sst,
 * bench/blockcopy). Writes, in constant memory, an SST like the ones Flink's RocksDB backend flushes for a
 * String-keyed ValueState (see {@link FlinkLikeSst}): by default format_version 5, Snappy, 4 KiB blocks, keys
 * [key group][StringSerializer word][namespace 0x00], incompressible 8-byte values; {@code --compression},
 * {@code --format-version}, {@code --checksum} and {@code --bloom} vary one table option at a time. {@code --size} first writes a 1 Mi-entry sample beside the file to learn
 * the bytes per entry, then writes that many entries: the file lands within a fraction of a percent of the size.
 * Prints the file's path (one JSON line with {@code --json}); progress goes to stderr.
 */
@Command(name = "GenerateSst", mixinStandardHelpOptions = true,
        description = "Write a Flink-like RocksDB SST file of a given size or entry count; print its path.")
public final class GenerateSst implements Callable<Integer> {
    private static final long SAMPLE_ENTRIES = 1 << 20;
    private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*([KMGT]?)(i?B)?", Pattern.CASE_INSENSITIVE);

    @Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The SST to write (must not exist).")
    Path file;

    @ArgGroup(multiplicity = "1")
    Amount amount;

    static final class Amount {
        @Option(names = "--size", paramLabel = "SIZE", description = "Target file size: bytes or 256MiB, 1GiB, 2G (binary units).")
        String size;

        @Option(names = "--entries", paramLabel = "N", description = "Exact number of entries.")
        Long entries;
    }

    @Option(names = "--letters", defaultValue = "7", description = "Word length of the keys (default: ${DEFAULT-VALUE}; 26^L words).")
    int letters;

    @Option(names = "--compression", defaultValue = "snappy", description = "snappy or none (default: ${DEFAULT-VALUE}).")
    String compression;

    @Option(names = "--format-version", defaultValue = "5", description = "Block-based table format_version (default: ${DEFAULT-VALUE}).")
    int formatVersion;

    @Option(names = "--checksum", defaultValue = "default",
            description = "default (RocksDB's), crc32c, xxhash64 or xxh3 (default: ${DEFAULT-VALUE}).")
    String checksum;

    @Option(names = "--bloom", description = "Add a full Bloom filter (10 bits per key).")
    boolean bloom;

    @Option(names = "--json", description = "Print {file, entries, bytes, seconds} as one JSON line.")
    boolean json;

    private FlinkLikeSst.Table table() {
        CompressionType type = switch (compression) {
            case "snappy" -> CompressionType.SNAPPY_COMPRESSION;
            case "none" -> CompressionType.NO_COMPRESSION;
            default -> throw new CommandLine.ParameterException(spec.commandLine(), "--compression is snappy or none, got '" + compression + "'");
        };
        ChecksumType sum = switch (checksum) {
            case "default" -> null;
            case "crc32c" -> ChecksumType.kCRC32c;
            case "xxhash64" -> ChecksumType.kxxHash64;
            case "xxh3" -> ChecksumType.kXXH3;
            default -> throw new CommandLine.ParameterException(spec.commandLine(),
                    "--checksum is default, crc32c, xxhash64 or xxh3, got '" + checksum + "'");
        };
        return new FlinkLikeSst.Table(type, formatVersion, sum, bloom);
    }

    @Override
    public Integer call() throws IOException, RocksDBException {
        if (Files.exists(file)) {
            throw new CommandLine.ParameterException(spec.commandLine(), file + " exists; remove it first");
        }
        long started = System.nanoTime();
        long entries = amount.entries != null ? amount.entries : entriesFor(parseSize(amount.size));
        long every = Math.max(1, entries / 20);
        long bytes = FlinkLikeSst.write(file, entries, letters, 8, table(), every,
                n -> spec.commandLine().getErr().printf("GenerateSst: %,d of %,d entries (%d%%)%n", n, entries, 100 * n / entries));
        double seconds = (System.nanoTime() - started) / 1e9;
        spec.commandLine().getOut().println(json
                ? String.format(Locale.ROOT, "{\"file\":\"%s\",\"entries\":%d,\"bytes\":%d,\"seconds\":%.1f}",
                        file.toString().replace("\\", "\\\\").replace("\"", "\\\""), entries, bytes, seconds)
                : file.toString());
        return 0;
    }

    /** Entries for {@code target} bytes, from the bytes per entry of a sample written beside the file. */
    private long entriesFor(long target) throws IOException, RocksDBException {
        Path sample = file.resolveSibling(file.getFileName() + ".sample");
        Files.deleteIfExists(sample);
        try {
            long sampleBytes = FlinkLikeSst.write(sample, SAMPLE_ENTRIES, letters, 8, table(), 0, n -> {});
            long entries = Math.max(1, Math.round((double) target * SAMPLE_ENTRIES / sampleBytes));
            spec.commandLine().getErr().printf(Locale.ROOT, "GenerateSst: %.2f bytes per entry: %,d entries for %,d bytes%n",
                    (double) sampleBytes / SAMPLE_ENTRIES, entries, target);
            return entries;
        } finally {
            Files.deleteIfExists(sample);
        }
    }

    private long parseSize(String text) {
        Matcher m = SIZE.matcher(text.strip());
        if (!m.matches()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--size: expected e.g. 1073741824, 256MiB or 1GiB, got '" + text + "'");
        }
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        return Long.parseLong(m.group(1)) << shift;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new GenerateSst()).execute(args));
    }
}
