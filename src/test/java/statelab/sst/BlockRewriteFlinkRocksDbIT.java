package statelab.sst;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.rocksdb.ChecksumType;
import org.rocksdb.CompressionType;
import statelab.bench.FlinkLikeSst;
import statelab.sst.rewrite.BlockRewriter;
import statelab.testing.Checkout;
import statelab.testing.Proc;

/**
 * Flink's own RocksDB (frocksdbjni 8.10, what a Flink 2.3 TaskManager restores with) reads what the block
 * rewriter writes: {@code src/test/jbang/ReadSstWithFlinkRocksDB.java}, in a JVM of its own (frocksdbjni and
 * rocksdbjni share the package org.rocksdb), verifies every block checksum and reads every entry; the last
 * N + 10 entries it prints are checked against the input as rocksdbjni reads it.
 */
class BlockRewriteFlinkRocksDbIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final int ENTRIES = 4000;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "format_version {0}, {1}, {2}, Bloom {3}, last {4}")
    @CsvSource({
        "5, SNAPPY_COMPRESSION, kXXH3,     false, 5",
        "2, NO_COMPRESSION,     kCRC32c,   false, 300",
        "4, SNAPPY_COMPRESSION, kxxHash64, true,  5",
    })
    void flinksRocksDbReadsTheRewrittenTable(int formatVersion, CompressionType compression, ChecksumType checksum, boolean bloom,
                                             int n) throws Exception {
        Path in = dir.resolve("in.sst");
        FlinkLikeSst.write(in, ENTRIES, 3, 8, new FlinkLikeSst.Table(compression, formatVersion, checksum, bloom), 0, x -> {});
        byte[] value = HexFormat.of().parseHex("cafebabe00112233445566"); // 11 bytes: longer than the 8 it replaces
        Path out = dir.resolve("out.sst");
        BlockRewriter.rewrite(in, out, BlockRewriter.Options.of(n, value));

        List<SstRead.Entry> before = SstRead.of(in).entries();
        int shown = n + 10;
        Proc.Result flink = Checkout.jbang(Map.of(), "src/test/jbang/ReadSstWithFlinkRocksDB.java", out.toString(), Integer.toString(shown));
        assertThat(flink.exit()).as("%s", flink).isZero();
        JsonNode read = JSON.readTree(flink.out());
        assertThat(read.get("entries").asLong()).isEqualTo(ENTRIES);
        JsonNode last = read.get("last");
        assertThat(last).hasSize(shown);
        HexFormat hex = HexFormat.of();
        for (int i = 0; i < shown; i++) {
            SstRead.Entry original = before.get(ENTRIES - shown + i);
            JsonNode e = last.get(i);
            assertThat(e.get("key").asText()).as("key %d from the end", shown - i).isEqualTo(hex.formatHex(original.key()));
            String expected = hex.formatHex(i >= 10 ? value : original.value());
            assertThat(e.get("value").asText()).as("value %d from the end", shown - i).isEqualTo(expected);
        }
    }
}
