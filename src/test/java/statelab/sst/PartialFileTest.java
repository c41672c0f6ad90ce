package statelab.sst;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rocksdb.ChecksumType;
import org.rocksdb.CompressionType;
import statelab.bench.FlinkLikeSst;
import statelab.cli.PartialFile;
import statelab.sst.rewrite.BlockPatch;
import statelab.sst.rewrite.BlockRewriter;

/**
 * A {@link PartialFile} stands for a remote file of which only what was read is local. Checked here against a local
 * "remote" file: reads give the remote's bytes and fetch whole chunks once; a copy to the same offset leaves holes
 * where nothing was fetched and says where; the block engine, reading a generated table through one, fetches a
 * small part of it, and its result, with those holes filled from the original at the same offsets, is byte for byte
 * the result of the same rewrite of the whole file.
 */
class PartialFileTest {
    @TempDir
    Path dir;

    /** A partial copy of {@code remote} at {@code local}, counting the bytes fetched. */
    PartialFile partial(Path remote, Path local, AtomicLong fetched) throws IOException {
        long size = Files.size(remote);
        try (RandomAccessFile f = new RandomAccessFile(local.toFile(), "rw")) {
            f.setLength(size);
        }
        return PartialFile.of(local, size, (offset, length, into) -> {
            fetched.addAndGet(length);
            try (FileChannel in = FileChannel.open(remote)) {
                ByteBuffer b = ByteBuffer.allocate((int) length);
                while (b.hasRemaining() && in.read(b, offset + b.position()) > 0) {
                    // read on
                }
                b.flip();
                while (b.hasRemaining()) {
                    into.write(b, offset + b.position());
                }
            }
        });
    }

    Path randomFile(String name, int size, long seed) throws IOException {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return Files.write(dir.resolve(name), bytes);
    }

    @Test
    void readsGiveTheRemoteBytesAndFetchEachChunkOnce() throws IOException {
        int size = (int) (5 * PartialFile.CHUNK + 12345);
        Path remote = randomFile("remote", size, 1);
        byte[] expected = Files.readAllBytes(remote);
        AtomicLong fetched = new AtomicLong();
        PartialFile file = partial(remote, dir.resolve("local"), fetched);
        Random random = new Random(2);
        try (FileChannel ch = file.channel()) {
            assertThat(ch.size()).isEqualTo(size);
            for (int i = 0; i < 200; i++) {
                int at = random.nextInt(size);
                int len = 1 + random.nextInt(Math.min(70_000, size - at));
                ByteBuffer b = ByteBuffer.allocate(len);
                int n = ch.read(b, at);
                assertThat(n).isEqualTo(len);
                byte[] got = new byte[len];
                b.flip().get(got);
                assertThat(got).as("bytes %d..%d", at, at + len).isEqualTo(java.util.Arrays.copyOfRange(expected, at, at + len));
            }
            assertThat(ch.read(ByteBuffer.allocate(1), size)).as("past the end").isEqualTo(-1);
        }
        long local = file.fetchedBytes();
        assertThat(fetched.get()).as("each byte fetched at most once").isEqualTo(local).isLessThanOrEqualTo(size);
        long holes = file.holes().stream().mapToLong(h -> h[1]).sum();
        assertThat(local + holes).isEqualTo(size);
        for (long[] h : file.holes()) {
            assertThat(h[0] % PartialFile.CHUNK).as("holes start at chunks").isZero();
        }
    }

    @Test
    void aCopyToTheSameOffsetSkipsHolesAndOneElsewhereFetches() throws IOException {
        int size = (int) (4 * PartialFile.CHUNK);
        Path remote = randomFile("remote", size, 3);
        byte[] expected = Files.readAllBytes(remote);
        AtomicLong fetched = new AtomicLong();
        PartialFile file = partial(remote, dir.resolve("local"), fetched);
        Path out = dir.resolve("out");
        try (FileChannel ch = file.channel();
             FileChannel target = FileChannel.open(out, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE, StandardOpenOption.READ)) {
            ch.read(ByteBuffer.allocate(10), 2 * PartialFile.CHUNK + 5); // the third chunk is local
            target.position(0);
            assertThat(ch.transferTo(0, size, target)).isEqualTo(size);
            assertThat(target.size()).as("as long as a copy, though it ends in a hole").isEqualTo(size);
            // elsewhere: fetched, then copied
            target.position(size);
            ch.transferTo(0, 1000, target);
        }
        assertThat(file.skipped()).as("the chunks never fetched")
                .containsExactly(new long[] {0, 2 * PartialFile.CHUNK}, new long[] {3 * PartialFile.CHUNK, PartialFile.CHUNK});
        byte[] copy = Files.readAllBytes(out);
        assertThat(java.util.Arrays.copyOfRange(copy, (int) (2 * PartialFile.CHUNK), (int) (3 * PartialFile.CHUNK)))
                .as("the fetched chunk copied").isEqualTo(java.util.Arrays.copyOfRange(expected, (int) (2 * PartialFile.CHUNK), (int) (3 * PartialFile.CHUNK)));
        assertThat(java.util.Arrays.copyOfRange(copy, size, size + 1000)).as("the copy elsewhere")
                .isEqualTo(java.util.Arrays.copyOfRange(expected, 0, 1000));
        assertThat(fetched.get()).isEqualTo(2 * PartialFile.CHUNK);
    }

    /** A table of some MiB: several chunks, most of them never read by a rewrite of its last entries. */
    Path table(String name, CompressionType compression, boolean bloom) throws Exception {
        Path sst = dir.resolve(name + ".sst");
        FlinkLikeSst.write(sst, 400_000, 4, 8, new FlinkLikeSst.Table(compression, 5, ChecksumType.kXXH3, bloom), 0, n -> {});
        return sst;
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"block", "block-bloom", "block-none", "same-size"})
    void theEngineOnAPartialCopyReadsLittleAndWritesTheSameTable(String mode) throws Exception {
        CompressionType compression = mode.equals("block-none") ? CompressionType.NO_COMPRESSION : CompressionType.SNAPPY_COMPRESSION;
        Path remote = table("remote", compression, mode.equals("block-bloom"));
        long size = Files.size(remote);
        byte[] value = HexFormat.of().parseHex("0102030405060708");
        BlockRewriter.Options options = BlockRewriter.Options.of(5, value).withNewSize(true);

        Path whole = dir.resolve("whole.sst");
        Path fromPartial = dir.resolve("partial-out.sst");
        AtomicLong fetched = new AtomicLong();
        PartialFile file = partial(remote, dir.resolve("local.sst"), fetched).register();
        try {
            if (mode.equals("same-size")) {
                BlockPatch.writeCopy(remote, whole, BlockPatch.plan(remote, options, false), false);
                BlockPatch.writeCopy(file.file(), fromPartial, BlockPatch.plan(file.file(), options, false), false);
            } else {
                BlockRewriter.rewrite(remote, whole, options);
                BlockRewriter.rewrite(file.file(), fromPartial, options);
            }
        } finally {
            file.unregister();
        }
        assertThat(fetched.get()).as("fetched of %d bytes", size).isLessThan(size / 2);
        // the result's holes stand for the original's bytes at the same offsets: filled so, it is the whole rewrite
        List<long[]> skipped = new ArrayList<>(file.skipped());
        assertThat(skipped).as("the unread prefix was skipped").isNotEmpty();
        try (FileChannel in = FileChannel.open(remote); FileChannel out = FileChannel.open(fromPartial, StandardOpenOption.WRITE)) {
            for (long[] s : skipped) {
                in.transferTo(s[0], s[1], out.position(s[0]));
            }
        }
        assertThat(Files.mismatch(fromPartial, whole)).as("the rewrite of the partial copy, holes filled").isEqualTo(-1);
        // and the holes are what was never fetched (both files read zeros there)
        for (long[] s : skipped) {
            assertThat(file.holes()).as("skipped %d..%d lies in holes", s[0], s[0] + s[1])
                    .anySatisfy(h -> assertThat(h[0] <= s[0] && s[0] + s[1] <= h[0] + h[1]).isTrue());
        }
    }
}
