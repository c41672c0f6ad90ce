package statelab.savepoint;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.rocksdb.CompressionType;
import org.rocksdb.EnvOptions;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.SstFileReader;
import org.rocksdb.SstFileReaderIterator;
import org.rocksdb.SstFileWriter;
import statelab.bench.FlinkLikeSst;
import statelab.cli.ExitCode;
import statelab.cli.Failure;

/** The rewrite core on generated Flink-shaped SSTs: exactly the last N values change, nothing else, nothing lost. */
class SstRewriterTest {
    static final byte[] ZEROS = new byte[8];

    @TempDir
    Path dir;

    record Entry(byte[] key, byte[] value) {}

    static List<Entry> readAll(Path sst) throws RocksDBException {
        List<Entry> entries = new ArrayList<>();
        try (Options o = new Options(); SstFileReader r = new SstFileReader(o); ReadOptions ro = new ReadOptions()) {
            r.open(sst.toString());
            try (SstFileReaderIterator it = r.newIterator(ro)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    entries.add(new Entry(it.key(), it.value()));
                }
                it.status();
            }
        }
        return entries;
    }

    /** Rewrites {@code in} with the last {@code n} values replaced and checks the result entry by entry. */
    void assertRewriteChangesExactlyTheLast(Path in, int n, byte[] value) throws Exception {
        List<Entry> before = readAll(in);
        SstRewriter.Plan plan = SstRewriter.plan(in, n, value);
        assertThat(plan.changes()).hasSize(n);
        for (int i = 0; i < n; i++) {
            Entry expected = before.get(before.size() - n + i);
            assertThat(plan.changes().get(i).key()).isEqualTo(expected.key());
            assertThat(plan.changes().get(i).oldValue()).isEqualTo(expected.value());
        }
        Path out = dir.resolve("out-" + in.getFileName());
        SstRewriter.Result result = SstRewriter.rewrite(in, out, plan, entries -> {});
        assertThat(result.entries()).isEqualTo(before.size());
        assertThat(result.changed()).isEqualTo(n);

        List<Entry> after = readAll(out);
        assertThat(after).hasSameSizeAs(before);
        for (int i = 0; i < before.size(); i++) {
            assertThat(after.get(i).key()).as("key %d", i).isEqualTo(before.get(i).key());
            byte[] expected = i >= before.size() - n ? value : before.get(i).value();
            assertThat(after.get(i).value()).as("value %d of %d", i, before.size()).isEqualTo(expected);
        }
        SstFile.Info inInfo = SstFile.inspect(in);
        SstFile.Info outInfo = SstFile.inspect(out);
        assertThat(outInfo.formatVersion()).as("format_version").isEqualTo(inInfo.formatVersion());
        assertThat(outInfo.compression()).as("compression").isEqualTo(inInfo.compression());
        assertThat(outInfo.entries()).isEqualTo(inInfo.entries());
    }

    @ParameterizedTest(name = "{0} entries, {1}-letter words, {2}-byte values, format_version {3}, {4}")
    @CsvSource({
        "5000, 3, 4, 5, SNAPPY_COMPRESSION",
        "5000, 3, 8, 5, SNAPPY_COMPRESSION",
        "20000, 4, 4, 4, SNAPPY_COMPRESSION",
        "3000, 3, 8, 2, NO_COMPRESSION",
        "3000, 3, 8, 5, LZ4_COMPRESSION",
    })
    void changesExactlyTheLastFiveValues(long entries, int letters, int valueBytes, int formatVersion, CompressionType compression)
            throws Exception {
        Path sst = dir.resolve("in.sst");
        FlinkLikeSst.write(sst, entries, letters, valueBytes, compression, formatVersion);
        assertRewriteChangesExactlyTheLast(sst, 5, ZEROS);
    }

    @Test
    void changesAsManyAsAskedUpToEveryEntry() throws Exception {
        Path sst = dir.resolve("small.sst");
        FlinkLikeSst.write(sst, 7, 2, 4, CompressionType.SNAPPY_COMPRESSION, 5);
        assertRewriteChangesExactlyTheLast(sst, 1, HexFormat.of().parseHex("ff"));
        assertRewriteChangesExactlyTheLast(sst, 7, ZEROS);
    }

    @Test
    void asksForMoreEntriesThanTheFileHoldsChangeAllOfThemAndNoneIsRefused() throws Exception {
        Path sst = dir.resolve("small.sst");
        FlinkLikeSst.write(sst, 7, 2, 4, CompressionType.SNAPPY_COMPRESSION, 5);
        assertThat(SstRewriter.plan(sst, 8, ZEROS).changes()).hasSize(7);
        for (int n : new int[] {0, -1}) {
            assertThatThrownBy(() -> SstRewriter.plan(sst, n, ZEROS))
                    .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.exitCode()).isEqualTo(ExitCode.USAGE));
        }
    }

    @Test
    void refusesFilesThatAreNotSsts() throws IOException {
        Path text = dir.resolve("OPTIONS-000013");
        Files.writeString(text, "# This is a RocksDB option file.\n[Version]\n  rocksdb_version=8.10.0\n".repeat(20));
        assertThatThrownBy(() -> SstFile.inspect(text))
                .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.exitCode()).isEqualTo(ExitCode.BAD_STATE))
                .hasMessageContaining("is not a RocksDB SST file").hasMessageContaining("text starting with '# This is a RocksDB option file.'");

        Path empty = Files.createFile(dir.resolve("empty.sst"));
        assertThatThrownBy(() -> SstFile.inspect(empty))
                .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.exitCode()).isEqualTo(ExitCode.BAD_STATE))
                .hasMessageContaining("too short");
    }

    @Test
    void refusesTruncatedSsts() throws Exception {
        Path sst = dir.resolve("whole.sst");
        FlinkLikeSst.write(sst, 5000, 3, 8, CompressionType.SNAPPY_COMPRESSION, 5);
        byte[] bytes = Files.readAllBytes(sst);
        Path cut = dir.resolve("cut.sst");
        Files.write(cut, Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> SstRewriter.plan(cut, 5, ZEROS))
                .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.exitCode()).isEqualTo(ExitCode.BAD_STATE));
        Path cutTail = dir.resolve("cut-tail.sst");
        Files.write(cutTail, Arrays.copyOf(bytes, bytes.length - 1));
        assertThatThrownBy(() -> SstRewriter.plan(cutTail, 5, ZEROS))
                .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.exitCode()).isEqualTo(ExitCode.BAD_STATE));
    }

    @Test
    void refusesSstsWhoseCopyWouldDropTombstonesOrMergeOperands() throws Exception {
        Path sst = dir.resolve("hidden.sst");
        try (Options options = new Options(); EnvOptions env = new EnvOptions(); SstFileWriter w = new SstFileWriter(env, options)) {
            w.open(sst.toString());
            w.put(FlinkLikeSst.key(0, "aaa"), new byte[] {0, 0, 0, 1});
            w.delete(FlinkLikeSst.key(0, "aab"));
            w.merge(FlinkLikeSst.key(0, "aac"), new byte[] {1});
            w.put(FlinkLikeSst.key(0, "aad"), new byte[] {0, 0, 0, 2});
            w.finish();
        }
        assertThatThrownBy(() -> SstRewriter.plan(sst, 1, ZEROS))
                .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.exitCode()).isEqualTo(ExitCode.BAD_STATE))
                .hasMessageContaining("1 deletion tombstone(s), 1 merge operand(s)")
                .hasMessageContaining("silently drop");
    }
}
