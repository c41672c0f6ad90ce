///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.rocksdb:rocksdbjni:10.10.1
//SOURCES ../../scripts/lib/cli/*.java
//SOURCES ../../scripts/lib/sst/format/*.java
//SOURCES ../../scripts/lib/sst/rewrite/*.java
//DESCRIPTION Do tombstones, merge operands and range deletions survive a block-copy rewrite? A RocksDB DB says.
package statelab.blockcopy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.EnvOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.LiveFileMetaData;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.SstFileReader;
import org.rocksdb.SstFileReaderIterator;
import org.rocksdb.SstFileWriter;
import org.rocksdb.StringAppendOperator;
import org.rocksdb.TableProperties;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import statelab.cli.CommandRunner;
import statelab.cli.ExitCode;
import statelab.cli.Output;
import statelab.sst.rewrite.BlockRewriter;

/**
 * {@code InternalEntriesTest [--work DIR]}: builds a RocksDB DB (StringAppendOperator, format_version 5,
 * Snappy) with two flushed SSTs: A holds 3000 puts; B, flushed later, holds tombstones over 500 of them, merge
 * operands on 500 more (and on 100 keys A lacks), 100 overwrites, a range deletion over 100 keys and, last in
 * key order, 10 new puts. Then it tampers with B in three copies of the DB, each time changing the values of
 * B's last 5 puts to 8 zero bytes:
 * <ol>
 *   <li>block copy with {@code --keep-size} ({@link BlockRewriter}, B padded to its old length),</li>
 *   <li>block copy as is (B's length changes),</li>
 *   <li>an SstFileReader → SstFileWriter copy (what swap-sst's SstRewriter does, less its refusal), padded to
 *       B's length by block copy so that RocksDB accepts it and shows what the copy lost.</li>
 * </ol>
 * Each DB is opened read-only with default options and, if RocksDB accepts it, every key is compared with the
 * untampered DB: the only differences should be the 5 keys. B's entry counts (table properties) are shown too.
 */
@Command(name = "internal-entries-test", mixinStandardHelpOptions = true,
        description = "Check with a real RocksDB DB whether tombstones and merge operands survive a rewrite.")
public final class InternalEntriesTest implements Callable<Integer> {
    @Mixin Output output;

    @Option(names = "--work", defaultValue = "bench/work/blockcopy/internal", description = "Scratch directory (emptied).")
    Path work;

    private static final int LAST = 5;
    private static final byte[] NEW_VALUE = new byte[8];

    record Outcome(String method, long bytesBefore, long bytesAfter, Map<String, Long> propertiesAfter, String dbOpen,
                   int keysCompared, int differences, Map<String, String> differencesByKind, boolean onlyTheLastFiveChanged) {}

    /** What B did to a key, from how build() wrote it. */
    private static String kind(String key) {
        if (key.startsWith("z")) {
            return "put last in B (tampered)";
        }
        if (key.startsWith("m")) {
            return "merge operand, no base";
        }
        int i = Integer.parseInt(key.substring(1));
        return i < 500 ? "deleted in B" : i < 1000 ? "merge operand on A's value" : i < 1100 ? "overwritten in B"
                : i >= 2000 && i < 2100 ? "range-deleted in B" : "only in A";
    }

    /** Differences counted by kind of key, with the first example of each. */
    private static Map<String, String> byKind(List<String> diffs) {
        Map<String, Integer> counts = new LinkedHashMap<>();
        Map<String, String> first = new LinkedHashMap<>();
        for (String d : diffs) {
            String k = kind(d.substring(0, d.indexOf(':')));
            counts.merge(k, 1, Integer::sum);
            first.putIfAbsent(k, d);
        }
        Map<String, String> out = new LinkedHashMap<>();
        counts.forEach((k, n) -> out.put(k, n + ", e.g. " + first.get(k)));
        return out;
    }

    @Override
    public Integer call() throws Exception {
        RocksDB.loadLibrary();
        deleteTree(work);
        Path db = work.resolve("db");
        Files.createDirectories(db);
        Path sstB = build(db);
        Map<String, String> expected = readAll(db, false).view();
        output.progress("base DB: %d live keys; tampering with %s", expected.size(), sstB.getFileName());
        Map<String, Long> propsBefore = properties(sstB);

        List<Outcome> outcomes = new ArrayList<>();
        for (String method : List.of("block-copy --keep-size", "block-copy", "sst-file-reader-copy, padded")) {
            Path copy = work.resolve("db-" + method.replaceAll("[ ,-]+", "-"));
            copyTree(db, copy);
            Path target = copy.resolve(sstB.getFileName());
            Path tmp = copy.resolve("tampered.tmp");
            if (method.startsWith("block-copy")) {
                BlockRewriter.rewrite(target, tmp, BlockRewriter.Options.of(LAST, NEW_VALUE).withVerifyCopied(true)
                        .withPadTo(method.endsWith("--keep-size") ? Files.size(target) : 0));
            } else {
                // Padded to B's length with the block-copy machinery (changing nothing more: the last 5 values are
                // already zeros), so that RocksDB opens the DB and shows what the copy lost.
                Path unpadded = copy.resolve("reader-copy.tmp");
                readerCopy(target, unpadded);
                BlockRewriter.rewrite(unpadded, tmp,
                        BlockRewriter.Options.of(LAST, NEW_VALUE).withVerifyCopied(true).withPadTo(Files.size(target)));
                Files.delete(unpadded);
            }
            long before = Files.size(target);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            ReadBack back = readAll(copy, false);
            String dbOpen = back.error() == null ? "opens" : back.error();
            if (back.error() != null && back.error().contains("unique ID")) {
                back = readAll(copy, true);
                dbOpen += " | with verify_sst_unique_id_in_manifest=false: " + (back.error() == null ? "opens" : back.error());
            }
            List<String> diffs = back.error() == null ? diff(expected, back.view()) : List.of();
            boolean onlyLast = back.error() == null && diffs.size() == LAST && diffs.stream().allMatch(d -> d.startsWith("z"));
            outcomes.add(new Outcome(method, before, Files.size(target), properties(target),
                    dbOpen, expected.size(), diffs.size(), byKind(diffs), onlyLast));
        }
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("sstPropertiesBefore", propsBefore);
        result.put("outcomes", outcomes);
        StringBuilder plain = new StringBuilder("SST B before: " + propsBefore);
        for (Outcome o : outcomes) {
            plain.append("\n").append(o.method()).append(": ").append(o.bytesBefore()).append(" -> ").append(o.bytesAfter())
                    .append(" bytes; properties ").append(o.propertiesAfter())
                    .append("\n  DB open: ").append(o.dbOpen());
            if (o.dbOpen().endsWith("opens")) {
                plain.append("\n  read back: ").append(o.differences()).append(" of ").append(o.keysCompared())
                        .append(" keys differ from the untampered DB").append(o.onlyTheLastFiveChanged() ? " (exactly the 5 tampered keys)" : "")
                        .append(o.differencesByKind().isEmpty() ? "" : "\n  differences: " + o.differencesByKind());
            }
        }
        output.result(plain.toString(), result);
        return outcomes.get(0).onlyTheLastFiveChanged() ? ExitCode.OK.code : ExitCode.BAD_STATE.code;
    }

    private static Options options() {
        return new Options().setCreateIfMissing(true).setMergeOperator(new StringAppendOperator())
                .setDisableAutoCompactions(true).setCompressionType(CompressionType.SNAPPY_COMPRESSION)
                .setTableFormatConfig(new BlockBasedTableConfig().setFormatVersion(5).setBlockSize(4096));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Writes SST A and SST B as described above; returns B's path. */
    private static Path build(Path dir) throws RocksDBException {
        try (Options o = options(); RocksDB db = RocksDB.open(o, dir.toString()); FlushOptions f = new FlushOptions().setWaitForFlush(true)) {
            for (int i = 0; i < 3000; i++) {
                db.put(b(String.format("k%05d", i)), b("base-" + i));
            }
            db.flush(f);
            for (int i = 0; i < 500; i++) {
                db.delete(b(String.format("k%05d", i)));
            }
            for (int i = 500; i < 1000; i++) {
                db.merge(b(String.format("k%05d", i)), b("m-" + i));
            }
            for (int i = 0; i < 100; i++) {
                db.merge(b(String.format("m%05d", i)), b("only-" + i));
            }
            for (int i = 1000; i < 1100; i++) {
                db.put(b(String.format("k%05d", i)), b("new-" + i));
            }
            db.deleteRange(b("k02000"), b("k02100"));
            for (int i = 0; i < 10; i++) {
                db.put(b(String.format("z%05d", i)), b("last-" + i));
            }
            db.flush(f);
            LiveFileMetaData newest = db.getLiveFilesMetaData().stream()
                    .max(Comparator.comparingLong(LiveFileMetaData::largestSeqno)).orElseThrow();
            return dir.resolve(newest.fileName().replaceFirst("^/", ""));
        }
    }

    private record ReadBack(Map<String, String> view, String error) {}

    /** Every live key of the DB; {@code skipUniqueIdCheck} turns off the check that the SSTs are the ones the MANIFEST names. */
    private static ReadBack readAll(Path dir, boolean skipUniqueIdCheck) {
        Map<String, String> view = new TreeMap<>();
        java.util.Properties dbProps = new java.util.Properties();
        dbProps.setProperty("verify_sst_unique_id_in_manifest", Boolean.toString(!skipUniqueIdCheck));
        try (DBOptions dbo = DBOptions.getDBOptionsFromProps(dbProps);
             Options base = options();
             ColumnFamilyOptions cfo = new ColumnFamilyOptions(base);
             Options o = new Options(dbo, cfo);
             RocksDB db = RocksDB.openReadOnly(o, dir.toString());
             ReadOptions ro = new ReadOptions().setVerifyChecksums(true);
             RocksIterator it = db.newIterator(ro)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                view.put(new String(it.key(), StandardCharsets.UTF_8), java.util.HexFormat.of().formatHex(it.value()));
            }
            it.status();
            return new ReadBack(view, null);
        } catch (RocksDBException e) {
            return new ReadBack(view, e.getMessage());
        }
    }

    /** The copy SstRewriter makes (less its refusal of such files): live entries through the reader, into a writer. */
    private static void readerCopy(Path in, Path out) throws RocksDBException {
        List<byte[][]> entries = new ArrayList<>();
        try (Options o = options(); SstFileReader r = new SstFileReader(o); ReadOptions ro = new ReadOptions()) {
            r.open(in.toString());
            try (SstFileReaderIterator it = r.newIterator(ro)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    entries.add(new byte[][] {it.key(), it.value()});
                }
            }
        }
        for (int i = entries.size() - LAST; i < entries.size(); i++) {
            entries.get(i)[1] = NEW_VALUE;
        }
        try (Options o = options(); EnvOptions env = new EnvOptions(); SstFileWriter w = new SstFileWriter(env, o)) {
            w.open(out.toString());
            for (byte[][] e : entries) {
                w.put(e[0], e[1]);
            }
            w.finish();
        }
    }

    private static Map<String, Long> properties(Path sst) throws RocksDBException {
        try (Options o = options(); SstFileReader r = new SstFileReader(o)) {
            r.open(sst.toString());
            TableProperties p = r.getTableProperties();
            Map<String, Long> m = new LinkedHashMap<>();
            m.put("entries", p.getNumEntries());
            m.put("deletions", p.getNumDeletions());
            m.put("mergeOperands", p.getNumMergeOperands());
            m.put("rangeDeletions", p.getNumRangeDeletions());
            return m;
        }
    }

    private static List<String> diff(Map<String, String> expected, Map<String, String> actual) {
        List<String> out = new ArrayList<>();
        TreeMap<String, String> all = new TreeMap<>(expected);
        all.putAll(actual);
        for (String k : all.keySet()) {
            String e = expected.get(k);
            String a = actual.get(k);
            if (e == null || !e.equals(a)) {
                out.add(k + ": " + text(e) + " -> " + text(a));
            }
        }
        return out;
    }

    private static String text(String hex) {
        if (hex == null) {
            return "(absent)";
        }
        byte[] v = java.util.HexFormat.of().parseHex(hex);
        boolean printable = true;
        for (byte x : v) {
            printable &= x >= 32 && x < 127;
        }
        return printable ? "'" + new String(v, StandardCharsets.US_ASCII) + "'" : "0x" + hex;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    public static void main(String[] args) {
        CommandRunner.main(new InternalEntriesTest(), args);
    }
}
