///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.rocksdb:rocksdbjni:10.10.1
//DEPS info.picocli:picocli:4.7.7
//DESCRIPTION Check a swap-sst output against its original: same entries and keys, only the last N values replaced.
package statelab.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileReader;
import org.rocksdb.SstFileReaderIterator;
import org.rocksdb.TableProperties;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code VerifySwap ORIGINAL REWRITTEN [--last N] [--value HEX] [--full]}: reads both SSTs back through RocksDB
 * and checks what swap-sst promises: the same number of entries, compression and column family; the last N
 * entries (in key order) carry the new value under their old keys; the entry before them is untouched. With
 * {@code --full} every entry is compared, key and value, in one pass over both files. Prints one JSON line;
 * exit code 0 when the rewrite is right, 1 with the first difference on stderr when not.
 */
@Command(name = "VerifySwap", mixinStandardHelpOptions = true,
        description = "Check a swap-sst output against its original; print one JSON line.")
public final class VerifySwap implements Callable<Integer> {
    static {
        RocksDB.loadLibrary();
    }

    @Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ORIGINAL") Path original;
    @Parameters(index = "1", paramLabel = "REWRITTEN") Path rewritten;

    @Option(names = {"-n", "--last"}, defaultValue = "5", description = "Entries whose value was replaced (default: ${DEFAULT-VALUE}).")
    int last;

    @Option(names = "--value", defaultValue = "0000000000000000", description = "The new value in hex (default: ${DEFAULT-VALUE}).")
    String valueHex;

    @Option(names = "--full", description = "Compare every entry, not only the properties and the tail.")
    boolean full;

    private static final class Mismatch extends Exception {
        Mismatch(String format, Object... args) {
            super(String.format(format, args));
        }
    }

    @Override
    public Integer call() throws RocksDBException {
        byte[] value = HexFormat.of().parseHex(valueHex);
        try (Options options = new Options();
             SstFileReader a = new SstFileReader(options);
             SstFileReader b = new SstFileReader(options);
             ReadOptions read = new ReadOptions().setFillCache(false).setReadaheadSize(4 << 20)) {
            a.open(original.toString());
            b.open(rewritten.toString());
            TableProperties pa = a.getTableProperties();
            TableProperties pb = b.getTableProperties();
            same("num_entries", pa.getNumEntries(), pb.getNumEntries());
            same("compression", pa.getCompressionName(), pb.getCompressionName());
            same("column family", new String(pa.getColumnFamilyName(), StandardCharsets.UTF_8),
                    new String(pb.getColumnFamilyName(), StandardCharsets.UTF_8));
            long entries = pa.getNumEntries();
            if (last > entries) {
                throw new Mismatch("--last %d but the files hold %d entries", last, entries);
            }
            try (SstFileReaderIterator ia = a.newIterator(read); SstFileReaderIterator ib = b.newIterator(read)) {
                long compared = full ? compareAll(ia, ib, entries, value) : compareTail(ia, ib, entries, value);
                spec.commandLine().getOut().printf("{\"ok\":true,\"mode\":\"%s\",\"entries\":%d,\"compared\":%d,\"compression\":\"%s\"}%n",
                        full ? "full" : "tail", entries, compared, pb.getCompressionName());
                return 0;
            }
        } catch (Mismatch e) {
            spec.commandLine().getErr().println("VerifySwap: " + rewritten + ": " + e.getMessage());
            spec.commandLine().getOut().printf("{\"ok\":false}%n");
            return 1;
        }
    }

    /** The last {@code last + 1} entries, walking back from the end of both files. */
    private long compareTail(SstFileReaderIterator a, SstFileReaderIterator b, long entries, byte[] value)
            throws Mismatch, RocksDBException {
        long n = Math.min(entries, last + 1L);
        a.seekToLast();
        b.seekToLast();
        for (long i = 0; i < n; i++) {
            long index = entries - 1 - i;
            compareEntry(a, b, index, i < last ? value : null);
            a.prev();
            b.prev();
        }
        a.status();
        b.status();
        return n;
    }

    /** Every entry, in order; the live-entry count must equal num_entries in both. */
    private long compareAll(SstFileReaderIterator a, SstFileReaderIterator b, long entries, byte[] value)
            throws Mismatch, RocksDBException {
        long index = 0;
        a.seekToFirst();
        b.seekToFirst();
        for (; a.isValid(); a.next(), b.next(), index++) {
            compareEntry(a, b, index, index >= entries - last ? value : null);
        }
        a.status();
        if (b.isValid()) {
            throw new Mismatch("more entries than the original's %d", index);
        }
        b.status();
        same("entries iterated", entries, index);
        return index;
    }

    /** Same key; value equal to {@code expected}, or to the original's when {@code expected} is null. */
    private static void compareEntry(SstFileReaderIterator a, SstFileReaderIterator b, long index, byte[] expected) throws Mismatch {
        if (!a.isValid() || !b.isValid()) {
            throw new Mismatch("entry %d: missing in the %s", index, a.isValid() ? "rewritten file" : "original");
        }
        byte[] key = a.key();
        if (!Arrays.equals(key, b.key())) {
            throw new Mismatch("entry %d: key %s, the original's is %s", index, hex(b.key()), hex(key));
        }
        byte[] want = expected != null ? expected : a.value();
        byte[] got = b.value();
        if (!Arrays.equals(want, got)) {
            throw new Mismatch("entry %d (key %s): value %s, expected %s%s", index, hex(key), hex(got), hex(want),
                    expected != null ? " (the new value)" : " (the original's)");
        }
    }

    private static void same(String what, Object original, Object rewritten) throws Mismatch {
        if (!original.equals(rewritten)) {
            throw new Mismatch("%s is %s, the original's is %s", what, rewritten, original);
        }
    }

    private static String hex(byte[] bytes) {
        return HexFormat.of().formatHex(bytes);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new VerifySwap()).execute(args));
    }
}
