package statelab.sst;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.rocksdb.ChecksumType;
import org.rocksdb.CompressionType;
import org.rocksdb.RocksDBException;
import statelab.bench.FlinkLikeSst;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.sst.rewrite.BlockPatch;
import statelab.sst.rewrite.BlockRewriter;
import statelab.sst.rewrite.InPlacePatch;

/**
 * The same-size tamper ({@link BlockPatch}) and its in-place form ({@link InPlacePatch}) on generated Flink-shaped
 * SSTs of every supported table shape, read back with rocksdbjni: same length, same table identity (the
 * properties RocksDB derives the unique ID from), every block checksum valid, exactly the last N values new, and
 * every byte outside the patched regions as it was. With kept checksums (--mode corrupt) RocksDB's own check fails.
 */
class BlockPatchTest {
    static final byte[] EIGHT_ZEROS = new byte[8];

    @TempDir
    Path dir;

    Path generate(String name, FlinkLikeSst.Table table) throws RocksDBException {
        Path sst = dir.resolve(name + ".sst");
        FlinkLikeSst.write(sst, BlockRewriterTest.ENTRIES, 3, 8, table, 0, n -> {});
        return sst;
    }

    static Stream<Arguments> supportedTables() {
        return BlockRewriterTest.supportedTables();
    }

    @ParameterizedTest(name = "format_version {0}, {1}, {2}, Bloom {3}")
    @MethodSource("supportedTables")
    void sameSizeKeepsLengthIdentityAndEveryOtherByte(int formatVersion, CompressionType compression, ChecksumType checksum,
                                                      boolean bloom) throws Exception {
        Path in = generate("t", new FlinkLikeSst.Table(compression, formatVersion, checksum, bloom));
        byte[] value = HexFormat.of().parseHex("0000000000000063"); // as long as the old values: fits every shape
        BlockPatch.Plan plan = BlockPatch.plan(in, BlockRewriter.Options.of(5, value), false);
        Path out = dir.resolve("out.sst");
        BlockPatch.writeCopy(in, out, plan, false);
        assertSameSizeResult(in, out, plan, 5, value);
    }

    @ParameterizedTest(name = "format_version {0}, {1}, {2}, Bloom {3}")
    @MethodSource("supportedTables")
    void theIndexReadFromItsEndOrAsAStreamGivesTheHandlesOfTheWholeIndex(int formatVersion, CompressionType compression,
                                                                         ChecksumType checksum, boolean bloom) throws Exception {
        Path in = generate("t", new FlinkLikeSst.Table(compression, formatVersion, checksum, bloom));
        try (var ch = java.nio.channels.FileChannel.open(in)) {
            var whole = statelab.sst.format.BlockBasedTable.read(ch).index;
            for (var part : List.of(statelab.sst.format.BlockBasedTable.readEnd(ch, 3).index,
                    statelab.sst.format.BlockBasedTable.readTail(ch, 3).index)) {
                assertThat(part.size()).isEqualTo(whole.size());
                assertThat(part.dataEnd()).isEqualTo(whole.dataEnd());
                for (int i = whole.size() - 3; i < whole.size(); i++) {
                    assertThat(part.holds(i)).isTrue();
                    assertThat(part.handle(i)).as("block %d", i).isEqualTo(whole.handle(i));
                }
                assertThat(part.holds(whole.size() - 10)).as("only the last ones are kept").isFalse();
            }
        }
    }

    @Test
    void snappyBlocksAbsorbValuesOfAnotherLengthAndTheRawValueSizeFollows() throws Exception {
        Path in = generate("snappy", FlinkLikeSst.Table.FLINK_DEFAULT);
        for (String hex : new String[] {"00000063", "000000000000000000000063"}) {
            byte[] value = HexFormat.of().parseHex(hex);
            BlockPatch.Plan plan = BlockPatch.plan(in, BlockRewriter.Options.of(5, value), false);
            Path out = dir.resolve("out-" + hex.length() + ".sst");
            BlockPatch.writeCopy(in, out, plan, false);
            assertSameSizeResult(in, out, plan, 5, value);
            assertThat(plan.regions()).extracting(BlockPatch.Region::what).contains("properties block");
        }
    }

    @Test
    void anUncompressedBlockCannotTakeALongerValueAndNothingIsWritten() throws Exception {
        Path in = generate("plain", new FlinkLikeSst.Table(CompressionType.NO_COMPRESSION, 5, ChecksumType.kXXH3, false));
        assertThatThrownBy(() -> BlockPatch.plan(in, BlockRewriter.Options.of(5, new byte[12]), false))
                .isInstanceOfSatisfying(Failure.class, f -> {
                    assertThat(f.exitCode()).isEqualTo(ExitCode.BAD_STATE);
                    assertThat(f.getMessage()).doesNotContain("\n").contains("stored uncompressed").contains("+20")
                            .endsWith("nothing written");
                });
    }

    @Test
    void keptChecksumsChangeTheValuesAndRocksDbNoticesOnRead() throws Exception {
        Path in = generate("corrupt", FlinkLikeSst.Table.FLINK_DEFAULT);
        BlockPatch.Plan plan = BlockPatch.plan(in, BlockRewriter.Options.of(5, EIGHT_ZEROS), true);
        Path out = dir.resolve("corrupt-out.sst");
        BlockPatch.writeCopy(in, out, plan, false);
        assertThat(Files.size(out)).isEqualTo(Files.size(in));
        assertThat(plan.checksumsKept()).isTrue();
        for (BlockPatch.Region r : plan.regions()) {
            int n = r.after().length;
            assertThat(Arrays.copyOfRange(r.after(), n - 4, n)).as("%s keeps its checksum", r.what())
                    .isEqualTo(Arrays.copyOfRange(r.before(), n - 4, n));
        }
        assertThatThrownBy(() -> SstRead.of(out)).isInstanceOf(RocksDBException.class).hasMessageContaining("checksum mismatch");
    }

    @Test
    void inPlaceGivesTheSameBytesAsACopyAndLeavesNoUndoRecord() throws Exception {
        Path in = generate("inplace", FlinkLikeSst.Table.FLINK_DEFAULT);
        Path copy = dir.resolve("copy.sst");
        Files.copy(in, copy);
        byte[] value = HexFormat.of().parseHex("0000000000000063");
        BlockPatch.Plan plan = BlockPatch.plan(in, BlockRewriter.Options.of(5, value), false);
        Path viaCopy = dir.resolve("via-copy.sst");
        BlockPatch.writeCopy(in, viaCopy, plan, false);

        InPlacePatch.Applied applied = InPlacePatch.apply(copy, plan);
        assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(viaCopy));
        assertThat(applied.bytesWritten()).as("only the changed blocks written").isLessThan(Files.size(in) / 10);
        assertThat(InPlacePatch.undoRecordOf(copy)).doesNotExist();
        assertSameSizeResult(in, copy, plan, 5, value);
    }

    @Test
    void inPlaceWithValuesThatAreAlreadyThereWritesNothingAtAll() throws Exception {
        Path in = generate("noop", FlinkLikeSst.Table.FLINK_DEFAULT);
        InPlacePatch.apply(in, BlockPatch.plan(in, BlockRewriter.Options.of(5, EIGHT_ZEROS), false));
        byte[] once = Files.readAllBytes(in);
        BlockPatch.Plan again = BlockPatch.plan(in, BlockRewriter.Options.of(5, EIGHT_ZEROS), false);
        assertThat(again.regions()).isEmpty();
        assertThat(InPlacePatch.apply(in, again).bytesWritten()).isZero();
        assertThat(Files.readAllBytes(in)).isEqualTo(once);
        try (var files = Files.list(dir)) {
            assertThat(files.map(f -> f.getFileName().toString())).as("no undo record written").containsExactly("noop.sst");
        }
    }

    @Test
    void inPlaceRefusesAFileThatIsNoLongerWhatThePlanWasMadeFrom() throws Exception {
        Path in = generate("moved", FlinkLikeSst.Table.FLINK_DEFAULT);
        BlockPatch.Plan plan = BlockPatch.plan(in, BlockRewriter.Options.of(5, EIGHT_ZEROS), false);
        InPlacePatch.apply(in, plan);
        byte[] once = Files.readAllBytes(in);
        assertThatThrownBy(() -> InPlacePatch.apply(in, plan)).isInstanceOfSatisfying(Failure.class, f -> {
            assertThat(f.exitCode()).isEqualTo(ExitCode.CONFLICT);
            assertThat(f.getMessage()).contains("changed since it was read").endsWith("nothing written");
        });
        assertThat(Files.readAllBytes(in)).isEqualTo(once);
        assertThat(InPlacePatch.undoRecordOf(in)).doesNotExist();
    }

    @Test
    void inPlaceRefusesAFileWithOtherHardLinks() throws Exception {
        Path in = generate("linked", FlinkLikeSst.Table.FLINK_DEFAULT);
        Files.createLink(dir.resolve("other-name.sst"), in);
        byte[] before = Files.readAllBytes(in);
        BlockPatch.Plan plan = BlockPatch.plan(in, BlockRewriter.Options.of(5, EIGHT_ZEROS), false);
        assertThatThrownBy(() -> InPlacePatch.apply(in, plan)).isInstanceOfSatisfying(Failure.class, f -> {
            assertThat(f.exitCode()).isEqualTo(ExitCode.BAD_STATE);
            assertThat(f.getMessage()).contains("2 hard links").contains("drop --in-place");
        });
        assertThat(Files.readAllBytes(in)).isEqualTo(before);
    }

    @Test
    void recoveryLeavesADamagedUndoRecordAndItsFileForAPersonAndRemovesAnUnfinishedOne() throws Exception {
        Path in = generate("damaged", FlinkLikeSst.Table.FLINK_DEFAULT);
        byte[] before = Files.readAllBytes(in);
        Path record = InPlacePatch.undoRecordOf(in);
        Files.writeString(record, "SLUNDO01 not a record");
        assertThatThrownBy(() -> InPlacePatch.recover(dir)).isInstanceOfSatisfying(Failure.class, f -> {
            assertThat(f.exitCode()).isEqualTo(ExitCode.BAD_STATE);
            assertThat(f.getMessage()).doesNotContain("\n").contains("cannot roll back").contains("left as they are");
        });
        assertThat(record).exists();
        assertThat(Files.readAllBytes(in)).isEqualTo(before);

        Files.delete(record);
        Path unfinished = record.resolveSibling(record.getFileName() + ".tmp");
        Files.writeString(unfinished, "SLUNDO01 half");
        assertThat(InPlacePatch.recover(dir)).as("nothing to roll back: the patch never started").isEmpty();
        assertThat(unfinished).doesNotExist();
        assertThat(Files.readAllBytes(in)).isEqualTo(before);
    }

    static byte[] property(Path sst, String name) throws java.io.IOException {
        try (var ch = java.nio.channels.FileChannel.open(sst)) {
            return statelab.sst.format.BlockBasedTable.read(ch).value(name);
        }
    }

    /** {@code out} is {@code in} with the plan's regions, read back by RocksDB as described in the class comment. */
    static void assertSameSizeResult(Path in, Path out, BlockPatch.Plan plan, int n, byte[] value) throws Exception {
        SstRead before = SstRead.of(in);
        SstRead after = SstRead.of(out); // verifyChecksum: every block
        assertThat(after.size()).as("same length").isEqualTo(before.size());
        var p = before.properties();
        var q = after.properties();
        for (String identity : new String[] {"rocksdb.creating.db.identity", "rocksdb.creating.session.identity",
                "rocksdb.original.file.number"}) {
            // what RocksDB derives the table's unique ID from (rocksdbjni does not report these three)
            assertThat(property(out, identity)).as(identity).isNotNull().isEqualTo(property(in, identity));
        }
        assertThat(q.getNumEntries()).isEqualTo(p.getNumEntries());
        assertThat(q.getDataSize()).as("data size").isEqualTo(p.getDataSize());
        long rawValueDelta = 0;
        assertThat(after.entries()).hasSameSizeAs(before.entries());
        for (int i = 0; i < before.entries().size(); i++) {
            boolean changed = i >= before.entries().size() - n;
            assertThat(after.entries().get(i).key()).isEqualTo(before.entries().get(i).key());
            assertThat(after.entries().get(i).value()).as("value %d", i).isEqualTo(changed ? value : before.entries().get(i).value());
            if (changed) {
                rawValueDelta += value.length - before.entries().get(i).value().length;
            }
        }
        assertThat(q.getRawValueSize()).isEqualTo(p.getRawValueSize() + rawValueDelta);
        assertThat(plan.changes()).hasSize(n);
        // every byte outside the regions is the input's
        byte[] x = Files.readAllBytes(in);
        byte[] y = Files.readAllBytes(out);
        for (BlockPatch.Region r : plan.regions()) {
            int at = Math.toIntExact(r.offset());
            assertThat(Arrays.copyOfRange(x, at, at + r.before().length)).isEqualTo(r.before());
            System.arraycopy(r.before(), 0, y, at, r.before().length);
        }
        assertThat(y).as("the file with the regions put back is the input").isEqualTo(x);
    }
}
