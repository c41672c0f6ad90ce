package statelab.sst;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.rocksdb.ChecksumType;
import org.rocksdb.CompressionType;
import org.rocksdb.RocksDBException;
import statelab.bench.FlinkLikeSst;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.sst.rewrite.BlockRewriter;

/**
 * The block rewriter on generated Flink-shaped SSTs of every table shape it supports (format_version 2..5,
 * Snappy or none, crc32c / xxHash64 / XXH3, with or without a full Bloom filter), for 1, 5, many and all
 * entries and for new values longer, shorter and as long as the old ones. Each result is read back with
 * rocksdbjni, never with the rewriter's own parser: checksums verify, the same keys in the same order, every
 * value unchanged except the last N, which hold the new value, table properties as the change implies.
 * Refusals (format_version 6, LZ4, corrupt or truncated input, ...) are a BAD_STATE {@link Failure} with one
 * line and no file written.
 */
class BlockRewriterTest {
    /** About 20 data blocks of 4 KiB: 3-letter words, 8-byte values. */
    static final int ENTRIES = 4000;
    static final byte[] EIGHT = HexFormat.of().parseHex("0000000000000000");

    @TempDir
    Path dir;

    /** A Flink-like SST of {@link #ENTRIES} entries written by rocksdbjni as {@code table} says. */
    Path generate(String name, FlinkLikeSst.Table table) throws RocksDBException {
        Path sst = dir.resolve(name + ".sst");
        FlinkLikeSst.write(sst, ENTRIES, 3, 8, table, 0, n -> {});
        return sst;
    }

    /**
     * Rewrites {@code in} with {@code options} and checks the result through rocksdbjni: exactly the last N entries
     * hold the new value, everything else as it was.
     */
    BlockRewriter.Result assertRewrite(Path in, BlockRewriter.Options options) throws Exception {
        SstRead before = SstRead.of(in);
        Path out = dir.resolve("out-" + in.getFileName());
        BlockRewriter.Result result = BlockRewriter.rewrite(in, out, options);
        SstRead after = SstRead.of(out); // verifyChecksum: every block of the new file
        int n = options.lastN();
        byte[] value = options.value();

        assertThat(after.entries()).as("entries").hasSameSizeAs(before.entries());
        long rawValueDelta = 0;
        for (int i = 0; i < before.entries().size(); i++) {
            SstRead.Entry b = before.entries().get(i);
            SstRead.Entry a = after.entries().get(i);
            assertThat(a.key()).as("key %d", i).isEqualTo(b.key());
            boolean changed = i >= before.entries().size() - n;
            assertThat(a.value()).as("value %d of %d", i, before.entries().size()).isEqualTo(changed ? value : b.value());
            if (changed) {
                rawValueDelta += value.length - b.value().length;
            }
        }
        assertThat(after.formatVersion()).as("format_version").isEqualTo(before.formatVersion());
        assertThat(after.checksumType()).as("checksum type").isEqualTo(before.checksumType());
        var p = before.properties();
        var q = after.properties();
        assertThat(q.getNumEntries()).as("num_entries").isEqualTo(p.getNumEntries());
        assertThat(q.getNumDataBlocks()).as("num_data_blocks").isEqualTo(p.getNumDataBlocks());
        assertThat(q.getRawKeySize()).as("raw_key_size").isEqualTo(p.getRawKeySize());
        assertThat(q.getRawValueSize()).as("raw_value_size").isEqualTo(p.getRawValueSize() + rawValueDelta);
        assertThat(q.getCompressionName()).as("compression").isEqualTo(p.getCompressionName());
        assertThat(q.getFilterPolicyName()).as("filter policy").isEqualTo(p.getFilterPolicyName());
        assertThat(q.getFilterSize()).as("filter size").isEqualTo(p.getFilterSize());
        assertThat(q.getColumnFamilyName()).as("column family").isEqualTo(p.getColumnFamilyName());
        if (options.padTo() > 0) {
            assertThat(after.size()).as("padded length").isEqualTo(options.padTo());
        }
        // the report agrees with what RocksDB read
        assertThat(result.changes()).hasSize(n);
        HexFormat hex = HexFormat.of();
        for (int i = 0; i < n; i++) {
            SstRead.Entry old = before.entries().get(before.entries().size() - n + i);
            assertThat(result.changes().get(i).keyHex()).isEqualTo(hex.formatHex(old.key()));
            assertThat(result.changes().get(i).oldHex()).isEqualTo(hex.formatHex(old.value()));
        }
        assertThat(result.bytesAfter()).isEqualTo(after.size());
        return result;
    }

    static Stream<Arguments> supportedTables() {
        List<Arguments> all = new ArrayList<>();
        for (int fv = 2; fv <= 5; fv++) {
            for (CompressionType c : List.of(CompressionType.SNAPPY_COMPRESSION, CompressionType.NO_COMPRESSION)) {
                for (ChecksumType ck : List.of(ChecksumType.kCRC32c, ChecksumType.kxxHash64, ChecksumType.kXXH3)) {
                    for (boolean bloom : List.of(false, true)) {
                        all.add(Arguments.of(fv, c, ck, bloom));
                    }
                }
            }
        }
        return all.stream();
    }

    @ParameterizedTest(name = "format_version {0}, {1}, {2}, Bloom {3}")
    @MethodSource("supportedTables")
    void changesTheLastFiveValuesOfEverySupportedTableShape(int formatVersion, CompressionType compression, ChecksumType checksum,
                                                            boolean bloom) throws Exception {
        Path in = generate("t", new FlinkLikeSst.Table(compression, formatVersion, checksum, bloom));
        BlockRewriter.Result r = assertRewrite(in, BlockRewriter.Options.of(5, EIGHT));
        // The untouched data blocks were copied as they were: the files agree byte for byte up to the last block.
        long dataSize = SstRead.of(in).properties().getDataSize();
        assertThat(SstRead.commonPrefix(in, dir.resolve("out-" + in.getFileName()))).as("bytes copied unchanged")
                .isGreaterThan(dataSize * 3 / 4);
        assertThat(r.dataBlocks()).isGreaterThan(10);
        assertThat(r.checksum()).isEqualTo(switch (checksum) {
            case kCRC32c -> "crc32c";
            case kxxHash64 -> "xxHash64";
            case kXXH3 -> "XXH3";
            default -> throw new AssertionError(checksum);
        });
    }

    @ParameterizedTest(name = "format_version {0}, {1}, {2}, Bloom {3}")
    @MethodSource("supportedTables")
    void everyWayOfReadingTheIndexWritesTheSameBytes(int formatVersion, CompressionType compression,
                                                     ChecksumType checksum, boolean bloom) throws Exception {
        // --verify-copied parses the whole index (every handle, to verify the blocks copied); the default reads a
        // small index whole and parses its end, and streams a large one (here: every one, with a bound of 0 bytes):
        // all three must write the same table, byte for byte
        Path in = generate("t", new FlinkLikeSst.Table(compression, formatVersion, checksum, bloom));
        for (byte[] value : List.of(EIGHT, new byte[3], new byte[40])) {
            Path end = dir.resolve("end.sst");
            Path streamed = dir.resolve("streamed.sst");
            Path whole = dir.resolve("whole.sst");
            BlockRewriter.rewrite(in, end, BlockRewriter.Options.of(7, value));
            BlockRewriter.rewrite(in, streamed, BlockRewriter.Options.of(7, value).withInMemoryIndex(0));
            BlockRewriter.rewrite(in, whole, BlockRewriter.Options.of(7, value).withVerifyCopied(true));
            byte[] expected = Files.readAllBytes(whole);
            assertThat(Files.readAllBytes(end)).isEqualTo(expected);
            assertThat(Files.readAllBytes(streamed)).isEqualTo(expected);
            SstRead.of(end);
            Files.delete(end);
            Files.delete(streamed);
            Files.delete(whole);
        }
    }

    @Test
    void changesReachingPastTheKeptIndexEntriesReadTheWholeIndex() throws Exception {
        // more data blocks than a streamed read keeps (4,096), and a change of values spread over nearly all of them
        Path in = dir.resolve("many-blocks.sst");
        FlinkLikeSst.write(in, 1_500_000, 5, 8, FlinkLikeSst.Table.FLINK_DEFAULT, 0, n -> {});
        int blocks = (int) SstRead.of(in).properties().getNumDataBlocks();
        assertThat(blocks).isGreaterThan(4096);
        assertRewrite(in, BlockRewriter.Options.of(1_400_000, EIGHT));
    }

    @Test
    void withNewSizeABlockThatCompressesToItsOldLengthIsStoredLonger() throws Exception {
        // a table rewritten once, then again with other bytes of the same shape (8 distinct bytes, nothing for Snappy
        // to match): snappy-java encodes the block to the length it gave it the first time (RocksDB's own encoder
        // may differ from snappy-java's, so the first rewrite is the reference)
        HexFormat hex = HexFormat.of();
        byte[] first = hex.parseHex("0102030405060708");
        byte[] second = hex.parseHex("1112131415161718");
        Path original = generate("same", FlinkLikeSst.Table.FLINK_DEFAULT);
        Path in = dir.resolve("once.sst");
        BlockRewriter.rewrite(original, in, BlockRewriter.Options.of(1, first));
        Path again = dir.resolve("again.sst");
        assertThat(BlockRewriter.rewrite(in, again, BlockRewriter.Options.of(1, second)).sameSize()).isTrue();

        BlockRewriter.Result r = assertRewrite(in, BlockRewriter.Options.of(1, second).withNewSize(true));
        assertThat(r.sameSize()).isFalse();
        assertThat(r.bytesAfter()).isGreaterThan(r.bytesBefore());
    }

    @Test
    void valuesSetToWhatTheyWereLeaveTheirBlocksAsTheyWere() throws Exception {
        Path in = generate("again", FlinkLikeSst.Table.FLINK_DEFAULT);
        Path once = dir.resolve("once.sst");
        BlockRewriter.rewrite(in, once, BlockRewriter.Options.of(5, EIGHT).withNewSize(true));
        Path twice = dir.resolve("twice.sst");
        BlockRewriter.Result r = BlockRewriter.rewrite(once, twice, BlockRewriter.Options.of(5, EIGHT).withNewSize(true));
        assertThat(r.blocksReencoded()).isZero();
        assertThat(Files.readAllBytes(twice)).as("a second run of the same tamper").isEqualTo(Files.readAllBytes(once));
    }

    @Test
    void uncompressedBlocksWithValuesAsLongAsBeforeKeepTheLengthAndSaySo() throws Exception {
        Path in = generate("plain", new FlinkLikeSst.Table(CompressionType.NO_COMPRESSION, 5, ChecksumType.kXXH3, false));
        BlockRewriter.Result r = assertRewrite(in, BlockRewriter.Options.of(5, EIGHT).withNewSize(true));
        assertThat(r.sameSize()).isTrue();
        assertThat(r.snappyBlocksChanged()).isFalse();
    }

    @Test
    void rocksdbDefaultChecksumIsXxh3AndIsRewritten() throws Exception {
        Path in = generate("default", FlinkLikeSst.Table.FLINK_DEFAULT);
        assertThat(SstRead.of(in).checksumType()).as("XXH3 in the footer").isEqualTo(4);
        assertRewrite(in, BlockRewriter.Options.of(5, EIGHT));
    }

    /** N: one entry, five, many (spanning several blocks), all; new values shorter, as long and longer. */
    @ParameterizedTest(name = "last {0}, value {1}, format_version {2}, {3}")
    @CsvSource({
        "1,    01,                                               5, SNAPPY_COMPRESSION",
        "1,    0011223344556677,                                 5, SNAPPY_COMPRESSION",
        "1,    00112233445566778899aabbccddeeff0011223344556677, 5, SNAPPY_COMPRESSION",
        "5,    01,                                               5, SNAPPY_COMPRESSION",
        "5,    00112233445566778899aabbccddeeff0011223344556677, 5, SNAPPY_COMPRESSION",
        "1000, 01,                                               5, SNAPPY_COMPRESSION",
        "1000, 0011223344556677,                                 5, SNAPPY_COMPRESSION",
        "1000, 00112233445566778899aabbccddeeff0011223344556677, 5, SNAPPY_COMPRESSION",
        "4000, 01,                                               5, SNAPPY_COMPRESSION",
        "4000, 0011223344556677,                                 5, SNAPPY_COMPRESSION",
        "4000, 00112233445566778899aabbccddeeff0011223344556677, 5, SNAPPY_COMPRESSION",
        "1000, 01,                                               2, NO_COMPRESSION",
        "1000, 00112233445566778899aabbccddeeff,                 2, NO_COMPRESSION",
        "4000, 00112233445566778899aabbccddeeff,                 3, NO_COMPRESSION",
        "5,    0011223344556677,                                 4, NO_COMPRESSION",
    })
    void changesAsManyEntriesAsAskedToValuesOfAnyLength(int n, String valueHex, int formatVersion, CompressionType compression)
            throws Exception {
        Path in = generate("n" + n, new FlinkLikeSst.Table(compression, formatVersion, null, false));
        BlockRewriter.Result r = assertRewrite(in, BlockRewriter.Options.of(n, HexFormat.of().parseHex(valueHex)));
        if (n == 1000) {
            assertThat(r.blocksReencoded()).as("1000 entries span several blocks").isGreaterThanOrEqualTo(3);
        }
        if (n == ENTRIES) {
            assertThat(r.blocksCopiedRaw()).as("every block changed").isZero();
        }
    }

    @Test
    void mergeOperandsOptionMakesNoDifferenceWithoutMergeOperands() throws Exception {
        Path in = generate("puts", FlinkLikeSst.Table.FLINK_DEFAULT);
        assertRewrite(in, BlockRewriter.Options.of(7, EIGHT).withMergeOperands(true).withVerifyCopied(true).withSync(false));
    }

    @Test
    void keepsTheLengthWhenTheTableDoesNotGrow() throws Exception {
        Path in = generate("plain", new FlinkLikeSst.Table(CompressionType.NO_COMPRESSION, 5, null, false));
        long size = Files.size(in);
        BlockRewriter.Result r = assertRewrite(in, BlockRewriter.Options.of(300, new byte[] {1}).withPadTo(size));
        assertThat(r.padding()).as("300 values 7 bytes shorter, made up by padding").isPositive();
        assertThat(Files.size(dir.resolve("out-plain.sst"))).isEqualTo(size);
    }

    @Test
    void refusesToPadATableThatGrew() throws Exception {
        Path in = generate("grows", new FlinkLikeSst.Table(CompressionType.NO_COMPRESSION, 5, null, false));
        Path out = dir.resolve("grown.sst");
        BlockRewriter.Options longer = BlockRewriter.Options.of(300, new byte[16]).withPadTo(Files.size(in));
        assertRefused(in, out, longer, "bytes longer than");
    }

    @Test
    void refusesFormatVersion6AndWritesNothing() throws Exception {
        Path in = generate("fv6", new FlinkLikeSst.Table(CompressionType.SNAPPY_COMPRESSION, 6, null, false));
        assertRefused(in, dir.resolve("fv6-out.sst"), BlockRewriter.Options.of(5, EIGHT), "format_version 6 is outside the supported 2..5");
    }

    @Test
    void refusesBlocksItCannotReencode() throws Exception {
        Path in = generate("lz4", new FlinkLikeSst.Table(CompressionType.LZ4_COMPRESSION, 5, null, false));
        assertRefused(in, dir.resolve("lz4-out.sst"), BlockRewriter.Options.of(5, EIGHT), "is compressed with LZ4");
    }

    @Test
    void refusesToChangeMoreEntriesThanTheTableHolds() throws Exception {
        Path in = generate("few", FlinkLikeSst.Table.FLINK_DEFAULT);
        assertRefused(in, dir.resolve("few-out.sst"), BlockRewriter.Options.of(ENTRIES + 1, EIGHT), "holds only " + ENTRIES);
    }

    @Test
    void refusesACorruptBlockItDecodes() throws Exception {
        Path in = generate("corrupt", FlinkLikeSst.Table.FLINK_DEFAULT);
        long dataSize = SstRead.of(in).properties().getDataSize();
        flip(in, dataSize - 20); // inside the last data block
        assertRefused(in, dir.resolve("corrupt-out.sst"), BlockRewriter.Options.of(5, EIGHT), "XXH3 checksum mismatch");
    }

    @Test
    void aCorruptBlockThatIsOnlyCopiedIsFoundWithVerifyCopiedAndByRocksDbOtherwise() throws Exception {
        Path in = generate("corrupt-early", FlinkLikeSst.Table.FLINK_DEFAULT);
        flip(in, 100); // inside the first data block, which a last-5 rewrite copies raw
        assertRefused(in, dir.resolve("verified.sst"), BlockRewriter.Options.of(5, EIGHT).withVerifyCopied(true), "data block 0");
        Path copied = dir.resolve("copied.sst");
        BlockRewriter.rewrite(in, copied, BlockRewriter.Options.of(5, EIGHT));
        assertThatThrownBy(() -> SstRead.of(copied)).as("the reader these tests trust sees the corruption")
                .isInstanceOf(RocksDBException.class).hasMessageContaining("checksum mismatch");
    }

    @Test
    void refusesTruncatedFilesAndFilesThatAreNoSst() throws Exception {
        Path in = generate("whole", FlinkLikeSst.Table.FLINK_DEFAULT);
        byte[] bytes = Files.readAllBytes(in);
        Path half = Files.write(dir.resolve("half.sst"), Arrays.copyOf(bytes, bytes.length / 2));
        assertRefused(half, dir.resolve("half-out.sst"), BlockRewriter.Options.of(5, EIGHT), "not a block-based table");
        Path cut = Files.write(dir.resolve("cut.sst"), Arrays.copyOf(bytes, bytes.length - 1));
        assertRefused(cut, dir.resolve("cut-out.sst"), BlockRewriter.Options.of(5, EIGHT), "not a block-based table");
        Path text = Files.writeString(dir.resolve("OPTIONS-000007"), "# This is a RocksDB option file.\n".repeat(10));
        assertRefused(text, dir.resolve("text-out.sst"), BlockRewriter.Options.of(5, EIGHT), "not a block-based table");
        Path tiny = Files.write(dir.resolve("tiny.sst"), new byte[10]);
        assertRefused(tiny, dir.resolve("tiny-out.sst"), BlockRewriter.Options.of(5, EIGHT), "too short for a table footer");
    }

    @Test
    void badOptionsMissingInputAndAnExistingTargetAreRefusedBeforeAnythingIsRead() throws Exception {
        Path in = generate("ok", FlinkLikeSst.Table.FLINK_DEFAULT);
        Path out = dir.resolve("ok-out.sst");
        assertThatThrownBy(() -> BlockRewriter.rewrite(in, out, BlockRewriter.Options.of(0, EIGHT)))
                .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.exitCode()).isEqualTo(ExitCode.USAGE));
        assertThatThrownBy(() -> BlockRewriter.rewrite(dir.resolve("missing.sst"), out, BlockRewriter.Options.of(5, EIGHT)))
                .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.exitCode()).isEqualTo(ExitCode.NOT_FOUND));
        assertThat(out).doesNotExist();
        Files.writeString(out, "mine");
        assertThatThrownBy(() -> BlockRewriter.rewrite(in, out, BlockRewriter.Options.of(5, EIGHT)))
                .isInstanceOfSatisfying(Failure.class, f -> assertThat(f.exitCode()).isEqualTo(ExitCode.CONFLICT));
        assertThat(out).hasContent("mine");
    }

    /** BAD_STATE, one line naming the input and the reason, "nothing written", no file at {@code out}. */
    static void assertRefused(Path in, Path out, BlockRewriter.Options options, String reason) throws IOException {
        byte[] before = Files.readAllBytes(in);
        assertThatThrownBy(() -> BlockRewriter.rewrite(in, out, options))
                .isInstanceOfSatisfying(Failure.class, f -> {
                    assertThat(f.exitCode()).isEqualTo(ExitCode.BAD_STATE);
                    assertThat(f.getMessage()).startsWith(in + ": ").contains(reason).endsWith("; nothing written").doesNotContain("\n");
                });
        assertThat(out).as("nothing written").doesNotExist();
        assertThat(Files.readAllBytes(in)).as("input untouched").isEqualTo(before);
    }

    static void flip(Path file, long at) throws IOException {
        byte[] b = Files.readAllBytes(file);
        b[Math.toIntExact(at)] ^= 0x5a;
        Files.write(file, b);
    }
}
