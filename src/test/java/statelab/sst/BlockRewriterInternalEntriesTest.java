package statelab.sst;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
import statelab.sst.rewrite.BlockRewriter;

/**
 * Internal entries survive a block rewrite, shown by a real RocksDB DB (the port of
 * bench/blockcopy/InternalEntriesTest.java). The DB (StringAppendOperator, format_version 5, Snappy) has two
 * flushed SSTs: A with 3000 puts; B, flushed later, with tombstones over 500 of A's keys, merge operands on 500
 * more and on 100 keys A lacks, 100 overwrites, one range deletion over 100 keys and, last in key order, 10
 * puts. B is rewritten in a copy of the DB, the copy opened read-only and compared key by key with the
 * untouched DB: only the rewritten entries may differ. A copy made through SstFileReader/SstFileWriter (which
 * keeps only the user view) is the control: the same comparison sees what it loses.
 */
class BlockRewriterInternalEntriesTest {
    static final byte[] ZEROS = new byte[8];
    static final String ZEROS_HEX = HexFormat.of().formatHex(ZEROS);
    static final byte[] ONE = {0x2a};
    static final String ONE_HEX = "2a";

    @TempDir
    Path dir;

    Path db;
    Path sstB;
    Map<String, String> untouched;

    static Options options(StringAppendOperator merge) {
        return new Options().setCreateIfMissing(true).setMergeOperator(merge).setDisableAutoCompactions(true)
                .setCompressionType(CompressionType.SNAPPY_COMPRESSION)
                .setTableFormatConfig(new BlockBasedTableConfig().setFormatVersion(5).setBlockSize(4096));
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String k(int i) {
        return String.format("k%05d", i);
    }

    @BeforeEach
    void buildDb() throws Exception {
        db = dir.resolve("db");
        try (StringAppendOperator merge = new StringAppendOperator(); Options o = options(merge); RocksDB rdb = RocksDB.open(o, db.toString());
             FlushOptions f = new FlushOptions().setWaitForFlush(true)) {
            for (int i = 0; i < 3000; i++) {
                rdb.put(b(k(i)), b("base-" + i));
            }
            rdb.flush(f);
            for (int i = 0; i < 500; i++) {
                rdb.delete(b(k(i)));
            }
            for (int i = 500; i < 1000; i++) {
                rdb.merge(b(k(i)), b("m-" + i));
            }
            for (int i = 0; i < 100; i++) {
                rdb.merge(b(String.format("m%05d", i)), b("only-" + i));
            }
            for (int i = 1000; i < 1100; i++) {
                rdb.put(b(k(i)), b("new-" + i));
            }
            rdb.deleteRange(b(k(2000)), b(k(2100)));
            for (int i = 0; i < 10; i++) {
                rdb.put(b(String.format("z%05d", i)), b("last-" + i));
            }
            rdb.flush(f);
            LiveFileMetaData newest = rdb.getLiveFilesMetaData().stream()
                    .max(Comparator.comparingLong(LiveFileMetaData::largestSeqno)).orElseThrow();
            sstB = db.resolve(newest.fileName().replaceFirst("^/", ""));
        }
        untouched = readAll(db, true);
        // the premise: B holds every kind of entry, and the DB's view depends on them
        assertThat(counts(sstB)).containsExactly(1211L, 501L, 600L, 1L);
        assertThat(untouched).hasSize(2510).doesNotContainKeys(k(0), k(2000)).containsEntry(k(500), hex("base-500,m-500"));
    }

    /** entries, deletions (incl. the range deletion), merge operands, range deletions: RocksDB's table properties. */
    static List<Long> counts(Path sst) throws RocksDBException {
        try (Options o = new Options(); SstFileReader r = new SstFileReader(o)) {
            r.open(sst.toString());
            TableProperties p = r.getTableProperties();
            return List.of(p.getNumEntries(), p.getNumDeletions(), p.getNumMergeOperands(), p.getNumRangeDeletions());
        }
    }

    static String hex(String s) {
        return HexFormat.of().formatHex(b(s));
    }

    /** Every live key of the DB, opened read-only with checksums verified; {@code checkUniqueIds}: RocksDB's default. */
    static Map<String, String> readAll(Path dbDir, boolean checkUniqueIds) throws RocksDBException {
        Map<String, String> view = new TreeMap<>();
        Properties dbProps = new Properties();
        dbProps.setProperty("verify_sst_unique_id_in_manifest", Boolean.toString(checkUniqueIds));
        try (StringAppendOperator merge = new StringAppendOperator();
             DBOptions dbo = DBOptions.getDBOptionsFromProps(dbProps);
             Options base = options(merge);
             ColumnFamilyOptions cfo = new ColumnFamilyOptions(base);
             Options o = new Options(dbo, cfo);
             RocksDB rdb = RocksDB.openReadOnly(o, dbDir.toString());
             ReadOptions ro = new ReadOptions().setVerifyChecksums(true);
             RocksIterator it = rdb.newIterator(ro)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                view.put(new String(it.key(), StandardCharsets.UTF_8), HexFormat.of().formatHex(it.value()));
            }
            it.status();
        }
        return view;
    }

    /** A copy of the DB whose SST B is {@code rewrite}'s output. */
    Path tamperedCopy(String name, SstRewrite rewrite) throws Exception {
        Path copy = dir.resolve(name);
        Files.createDirectories(copy);
        try (Stream<Path> files = Files.list(db)) {
            for (Path f : files.toList()) {
                Files.copy(f, copy.resolve(f.getFileName()));
            }
        }
        Path target = copy.resolve(sstB.getFileName());
        Path tmp = copy.resolve("tampered.tmp");
        rewrite.apply(target, tmp);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        return copy;
    }

    interface SstRewrite {
        void apply(Path in, Path out) throws Exception;
    }

    /** Keys whose value differs between the two views (absent counts as a value). */
    static TreeSet<String> differences(Map<String, String> expected, Map<String, String> actual) {
        TreeSet<String> keys = new TreeSet<>(expected.keySet());
        keys.addAll(actual.keySet());
        keys.removeIf(key -> java.util.Objects.equals(expected.get(key), actual.get(key)));
        return keys;
    }

    static List<String> keys(String prefix, int from, int to) {
        return IntStream.range(from, to).mapToObj(i -> String.format("%s%05d", prefix, i)).toList();
    }

    @Test
    void keepSizeRewriteChangesExactlyTheLastFivePutsAndKeepsTombstonesMergeOperandsAndRangeDeletion() throws Exception {
        List<Long> countsBefore = counts(sstB);
        long sizeBefore = Files.size(sstB);
        Path copy = tamperedCopy("keep-size", (in, out) ->
                BlockRewriter.rewrite(in, out, BlockRewriter.Options.of(5, ZEROS).withPadTo(Files.size(in))));
        Path newB = copy.resolve(sstB.getFileName());
        assertThat(Files.size(newB)).isEqualTo(sizeBefore);
        assertThat(counts(newB)).as("entries, deletions, merge operands, range deletions").isEqualTo(countsBefore);

        Map<String, String> after = readAll(copy, true); // RocksDB's defaults: sizes and unique ids checked against the MANIFEST
        assertThat(differences(untouched, after)).containsExactlyElementsOf(keys("z", 5, 10));
        keys("z", 5, 10).forEach(key -> assertThat(after).containsEntry(key, ZEROS_HEX));
    }

    @Test
    void countingPastMergeOperandsAndTombstonesChangesTheLastPutsOrWithTheOptionTheMergeOperandsToo() throws Exception {
        // A 1-byte value, so that B shrinks and can be padded to its length (a DB checks it).
        // The 15 last value entries in key order: z00000..z00009, then, skipping the 100 merge operands on m-keys,
        // the puts k01095..k01099; with merge operands counted, m00095..m00099 instead.
        Path puts = tamperedCopy("puts", (in, out) ->
                BlockRewriter.rewrite(in, out, BlockRewriter.Options.of(15, ONE).withPadTo(Files.size(in))));
        Map<String, String> afterPuts = readAll(puts, true);
        List<String> expected = new ArrayList<>(keys("k", 1095, 1100));
        expected.addAll(keys("z", 0, 10));
        assertThat(differences(untouched, afterPuts)).containsExactlyElementsOf(expected);
        expected.forEach(key -> assertThat(afterPuts).containsEntry(key, ONE_HEX));

        Path merges = tamperedCopy("merges", (in, out) -> BlockRewriter.rewrite(in, out,
                BlockRewriter.Options.of(15, ONE).withMergeOperands(true).withPadTo(Files.size(in))));
        Map<String, String> afterMerges = readAll(merges, true);
        List<String> expectedMerges = new ArrayList<>(keys("m", 95, 100));
        expectedMerges.addAll(keys("z", 0, 10));
        assertThat(differences(untouched, afterMerges)).containsExactlyElementsOf(expectedMerges);
        expectedMerges.forEach(key -> assertThat(afterMerges).containsEntry(key, ONE_HEX));
    }

    @Test
    void aRewriteThatChangesTheLengthIsRefusedByTheDbManifest() throws Exception {
        Path copy = tamperedCopy("grown", (in, out) -> BlockRewriter.rewrite(in, out, BlockRewriter.Options.of(5, ZEROS)));
        assertThat(Files.size(copy.resolve(sstB.getFileName()))).isNotEqualTo(Files.size(sstB));
        assertThatThrownBy(() -> readAll(copy, true)).isInstanceOf(RocksDBException.class).hasMessageContaining("size mismatch");
    }

    /** The control: the comparison above does see lost internal entries when a rewrite drops them. */
    @Test
    void aCopyThroughSstFileReaderLosesWhatTheBlockRewriteKeeps() throws Exception {
        Path copy = tamperedCopy("reader-copy", (in, out) -> {
            Path unpadded = out.resolveSibling("reader-copy.tmp");
            readerCopy(in, unpadded);
            // padded to B's length (the last 5 values are already zeros) so that RocksDB opens the DB
            BlockRewriter.rewrite(unpadded, out, BlockRewriter.Options.of(5, ZEROS).withPadTo(Files.size(in)));
            Files.delete(unpadded);
        });
        assertThat(counts(copy.resolve(sstB.getFileName()))).containsExactly(710L, 0L, 0L, 0L);
        Map<String, String> after = readAll(copy, false); // an SstFileWriter output has another unique id
        TreeSet<String> diffs = differences(untouched, after);
        assertThat(diffs).hasSize(1105).containsAll(keys("k", 0, 500)).containsAll(keys("k", 500, 1000))
                .containsAll(keys("k", 2000, 2100)).containsAll(keys("z", 5, 10));
        assertThat(after).containsEntry(k(0), hex("base-0")).containsEntry(k(500), hex("m-500"));
    }

    /** SstFileReader → SstFileWriter with the last 5 values zeroed: the user view only, as SstRewriter copies. */
    static void readerCopy(Path in, Path out) throws RocksDBException, IOException {
        List<byte[][]> entries = new ArrayList<>();
        try (StringAppendOperator merge = new StringAppendOperator(); Options o = options(merge); SstFileReader r = new SstFileReader(o);
             ReadOptions ro = new ReadOptions(); SstFileReaderIterator it = openIterator(r, in, ro)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                entries.add(new byte[][] {it.key(), it.value()});
            }
        }
        for (int i = entries.size() - 5; i < entries.size(); i++) {
            entries.get(i)[1] = ZEROS;
        }
        try (StringAppendOperator merge = new StringAppendOperator(); Options o = options(merge); EnvOptions env = new EnvOptions();
             SstFileWriter w = new SstFileWriter(env, o)) {
            w.open(out.toString());
            for (byte[][] e : entries) {
                w.put(e[0], e[1]);
            }
            w.finish();
        }
    }

    private static SstFileReaderIterator openIterator(SstFileReader r, Path in, ReadOptions ro) throws RocksDBException {
        r.open(in.toString());
        return r.newIterator(ro);
    }
}
