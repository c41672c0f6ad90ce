package statelab.blockcopy.verify;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileReader;
import org.rocksdb.SstFileReaderIterator;
import org.rocksdb.StringAppendOperator;
import org.rocksdb.TableProperties;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Output;

/**
 * {@code verify-rewrite IN OUT [--last N] [--value HEX]}: checks OUT against IN with RocksDB itself (whichever
 * org.rocksdb jar the launching script put on the classpath: rocksdbjni or Flink's frocksdbjni, never both):
 * OUT's block checksums ({@code SstFileReader.verifyChecksum}); the same keys in the same order; equal values
 * except the last N, which hold the new bytes; table properties equal except data size, index size and raw
 * value size, which must have moved as the change implies. Prints one line per check and a verdict; exit 0
 * when all pass, 8 when one fails.
 *
 * <p>The iterator is RocksDB's user view (tombstones hide keys, merge operands are merged with a
 * StringAppendOperator), so for a table with such entries it shows they are read alike; whether the entries
 * themselves survive is checked by InternalEntriesTest.
 */
@Command(name = "verify-rewrite", mixinStandardHelpOptions = true,
        description = "Check a rewritten SST against its original with RocksDB: checksums, keys, values, properties.")
public final class VerifyRewrite implements Callable<Integer> {
    @Mixin Output output;

    @Parameters(index = "0", paramLabel = "IN") Path in;
    @Parameters(index = "1", paramLabel = "OUT") Path out;

    @Option(names = {"-n", "--last"}, defaultValue = "5", description = "Entries expected to have changed (default: ${DEFAULT-VALUE}).")
    int last;

    @Option(names = "--value", defaultValue = "0000000000000000", description = "Their expected new value, hex (default: ${DEFAULT-VALUE}).")
    String valueHex;

    private final String reader;

    public VerifyRewrite(String reader) {
        this.reader = reader;
    }

    record Check(String name, boolean ok, String detail) {}

    record Verdict(String reader, String in, String out, long entries, boolean ok, List<Check> checks) {}

    private final List<Check> checks = new ArrayList<>();

    private void check(String name, boolean ok, String detail, Object... args) {
        checks.add(new Check(name, ok, String.format(detail, args)));
    }

    @Override
    public Integer call() throws IOException {
        RocksDB.loadLibrary();
        byte[] value = HexFormat.of().parseHex(valueHex);
        long entries;
        try (StringAppendOperator merge = new StringAppendOperator();
             Options options = new Options().setMergeOperator(merge);
             SstFileReader a = new SstFileReader(options);
             SstFileReader b = new SstFileReader(options)) {
            a.open(in.toString());
            b.open(out.toString());
            try {
                b.verifyChecksum();
                check("verifyChecksum", true, "every block checksum of OUT verifies");
            } catch (RocksDBException e) {
                check("verifyChecksum", false, "%s", e.getMessage());
            }
            entries = compareEntries(a, b, value);
            compareProperties(a.getTableProperties(), b.getTableProperties());
        } catch (RocksDBException e) {
            throw Failure.of(ExitCode.BAD_STATE, "RocksDB (%s) cannot read: %s", reader, e.getMessage());
        }
        boolean ok = checks.stream().allMatch(Check::ok);
        StringBuilder plain = new StringBuilder();
        for (Check c : checks) {
            plain.append(c.ok() ? "ok   " : "FAIL ").append(c.name()).append(": ").append(c.detail()).append('\n');
        }
        plain.append(ok ? "VERIFIED" : "MISMATCH").append(" (").append(reader).append(")");
        output.result(plain.toString(), new Verdict(reader, in.toString(), out.toString(), entries, ok, checks));
        return ok ? ExitCode.OK.code : ExitCode.BAD_STATE.code;
    }

    private record Pending(byte[] key, byte[] before, byte[] after) {}

    /** Walks both tables in step; the last N entries are held back until the end, when they must hold the new value. */
    private long compareEntries(SstFileReader a, SstFileReader b, byte[] value) throws RocksDBException {
        ArrayDeque<Pending> tail = new ArrayDeque<>();
        long n = 0;
        long keyMismatch = -1;
        long valueMismatch = -1;
        long rawValueDelta = 0;
        try (ReadOptions ro = new ReadOptions().setFillCache(false);
             SstFileReaderIterator x = a.newIterator(ro);
             SstFileReaderIterator y = b.newIterator(ro)) {
            x.seekToFirst();
            y.seekToFirst();
            while (x.isValid() && y.isValid()) {
                byte[] k = x.key();
                if (keyMismatch < 0 && !Arrays.equals(k, y.key())) {
                    keyMismatch = n;
                }
                tail.addLast(new Pending(k, x.value(), y.value()));
                if (tail.size() > last) {
                    Pending p = tail.removeFirst();
                    if (valueMismatch < 0 && !Arrays.equals(p.before(), p.after())) {
                        valueMismatch = n - last;
                    }
                }
                n++;
                x.next();
                y.next();
            }
            boolean sameLength = !x.isValid() && !y.isValid();
            x.status();
            y.status();
            check("entries", sameLength, "IN and OUT %s (%d read in step)", sameLength ? "hold the same number of entries" : "differ in length", n);
            check("keys", keyMismatch < 0, keyMismatch < 0 ? "same keys in the same order" : "first differing key at entry %d", keyMismatch);
            check("unchanged values", valueMismatch < 0, valueMismatch < 0 ? "entries 0..%d hold their original values"
                    : "entry %d differs", valueMismatch < 0 ? n - last - 1 : valueMismatch);
            int changed = 0;
            StringBuilder keys = new StringBuilder();
            for (Pending p : tail) {
                if (Arrays.equals(p.after(), value)) {
                    changed++;
                }
                rawValueDelta += p.after().length - p.before().length;
                keys.append(keys.length() == 0 ? "" : ",").append(HexFormat.of().formatHex(p.key()));
            }
            check("changed values", changed == last && tail.size() == last, "%d of the last %d entries hold %s (keys %s)",
                    changed, last, valueHex, keys);
        }
        this.rawValueDelta = rawValueDelta;
        return n;
    }

    private long rawValueDelta;

    private void compareProperties(TableProperties p, TableProperties q) throws IOException {
        Map<String, long[]> same = new LinkedHashMap<>();
        same.put("num_entries", new long[] {p.getNumEntries(), q.getNumEntries()});
        same.put("num_deletions", new long[] {p.getNumDeletions(), q.getNumDeletions()});
        same.put("num_merge_operands", new long[] {p.getNumMergeOperands(), q.getNumMergeOperands()});
        same.put("num_range_deletions", new long[] {p.getNumRangeDeletions(), q.getNumRangeDeletions()});
        same.put("num_data_blocks", new long[] {p.getNumDataBlocks(), q.getNumDataBlocks()});
        same.put("raw_key_size", new long[] {p.getRawKeySize(), q.getRawKeySize()});
        same.put("filter_size", new long[] {p.getFilterSize(), q.getFilterSize()});
        same.put("index_key_is_user_key", new long[] {p.getIndexKeyIsUserKey(), q.getIndexKeyIsUserKey()});
        same.put("index_value_is_delta_encoded", new long[] {p.getIndexValueIsDeltaEncoded(), q.getIndexValueIsDeltaEncoded()});
        StringBuilder diff = new StringBuilder();
        same.forEach((k, v) -> {
            if (v[0] != v[1]) {
                diff.append(k).append(' ').append(v[0]).append("->").append(v[1]).append("; ");
            }
        });
        boolean strings = p.getCompressionName().equals(q.getCompressionName())
                && p.getComparatorName().equals(q.getComparatorName())
                && Arrays.equals(p.getColumnFamilyName(), q.getColumnFamilyName())
                && p.getUserCollectedProperties().equals(q.getUserCollectedProperties());
        check("properties kept", diff.length() == 0 && strings, diff.length() == 0 && strings
                ? "num_entries %d, deletions %d, merge operands %d, data blocks %d, raw key size, filter size, compression, "
                        + "column family and user properties equal" : "%s%s",
                q.getNumEntries(), q.getNumDeletions(), q.getNumMergeOperands(), q.getNumDataBlocks(), diff, strings ? "" : "string properties differ");
        check("raw_value_size", q.getRawValueSize() - p.getRawValueSize() == rawValueDelta,
                "%d -> %d, moved by %d as the new values imply", p.getRawValueSize(), q.getRawValueSize(), rawValueDelta);
        long inGap = indexOffset(in) - p.getDataSize();
        long outGap = indexOffset(out) - q.getDataSize();
        check("data_size", inGap == outGap, "%d -> %d; index block offset minus data size is %d in IN and %d in OUT",
                p.getDataSize(), q.getDataSize(), inGap, outGap);
        check("index_size", q.getIndexSize() > 0, "%d -> %d", p.getIndexSize(), q.getIndexSize());
    }

    /** The index handle's offset, from the 53-byte footer of format_version 1..5 (checksum type, two handles). */
    private static long indexOffset(Path sst) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(sst.toFile(), "r")) {
            byte[] footer = new byte[53];
            f.seek(f.length() - 53);
            f.readFully(footer);
            int[] pos = {1};
            varint(footer, pos);
            varint(footer, pos);
            return varint(footer, pos);
        }
    }

    private static long varint(byte[] b, int[] pos) {
        long v = 0;
        for (int shift = 0; ; shift += 7) {
            int x = b[pos[0]++] & 0xff;
            v |= (long) (x & 0x7f) << shift;
            if (x < 0x80) {
                return v;
            }
        }
    }
}
