package statelab.sst.rewrite;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.PartialFile;
import statelab.sst.format.BadTable;
import statelab.sst.format.BlockBasedTable;
import statelab.sst.format.BlockEntries;
import statelab.sst.format.BlockHandle;
import statelab.sst.format.ByteSink;
import statelab.sst.format.IndexBlock;
import statelab.sst.format.InternalKey;
import statelab.sst.format.StoredBlock;
import statelab.sst.format.StreamedIndex;
import statelab.sst.format.TableFooter;

/**
 * swap-sst's change, made at the block level: the values of the last N value entries (in key order) become
 * new bytes, and everything else of the table is kept byte for byte where it can be.
 *
 * <ul>
 *   <li>Data blocks before the first block holding a changed entry are copied as raw bytes (kernel copies:
 *       {@link FileChannel#transferTo}), on a second thread while the change is still being found, with their
 *       writeback to disk started there ({@link AheadCopy}); their checksums stay valid because for format_version
 *       ≤ 5 a block's checksum covers only its own bytes, never its offset.</li>
 *   <li>The blocks from there to the end of the data region are decoded, their changed values replaced, and
 *       re-encoded with the same key layout, restart points and compression, and a new checksum.</li>
 *   <li>The index block is re-encoded with the new handles (same keys, so no separator is recomputed); the
 *       properties block gets the new data size, index size, raw value size and tail offset; filter and
 *       range-deletion blocks are copied raw (keys do not change); the metaindex and footer point to the new
 *       offsets.</li>
 * </ul>
 *
 * Internal keys are copied, never rebuilt: sequence numbers, tombstones and merge operands survive. A "value
 * entry" is a Put (kTypeValue); with {@code mergeOperands} merge operands count too. Tombstones are skipped
 * (copied unchanged); any other entry type met while counting is refused.
 *
 * <p>Scope: block-based tables of format_version 2..5 with a kBinarySearch index, blocks to re-encode without
 * compression or with Snappy, checksums none/crc32c/xxHash64/XXH3, full filters and range deletions (copied);
 * what Flink's RocksDB (frocksdb 8.10) writes by default. Design, limits and measurements: bench/blockcopy/README.md.
 * A script uses it with {@code //SOURCES lib/cli/*.java lib/sst/format/*.java lib/sst/rewrite/*.java}.
 */
public final class BlockRewriter {
    private static final long VERIFY_CHUNK = 8L << 20;

    private BlockRewriter() {}

    /**
     * What to change and how to write it.
     *
     * @param lastN how many value entries, counted back from the last key, get {@code value} (at least 1)
     * @param value the new value of each of them
     * @param mergeOperands count merge operands (ListState elements) as value entries too; otherwise they are
     *     kept unchanged and skipped, like tombstones
     * @param verifyCopied read the blocks that are copied raw through the heap and verify each checksum
     *     (slower: about 4.5 s/GiB more); otherwise they go through one kernel copy, unread
     * @param sync fsync the new file before returning
     * @param padTo if positive, pad the data region with zeros so that the new table is exactly this long (the
     *     old length, usually: RocksDB refuses a DB whose MANIFEST records another size, "Sst file size mismatch")
     * @param newSize make the new table's length differ from the old one's: when the changed blocks happen to
     *     compress to their old lengths, one Snappy block is stored a byte longer (a longer valid encoding of the
     *     same contents). A table whose changed blocks are all uncompressed keeps its length all the same
     *     ({@link Result#sameSize} says so).
     * @param grow bytes added to the first changed Snappy block's shortest encoding (what {@code newSize} uses)
     * @param inMemoryIndex the largest index block (as stored) read into memory whole; a larger one is streamed
     *     ({@link #IN_MEMORY_INDEX} by default)
     */
    public record Options(int lastN, byte[] value, boolean mergeOperands, boolean verifyCopied, boolean sync, long padTo,
                          boolean newSize, int grow, long inMemoryIndex) {
        /** Change the last {@code lastN} Put entries to {@code value}; no padding, no verification of copied blocks, fsync. */
        public static Options of(int lastN, byte[] value) {
            return new Options(lastN, value, false, false, true, 0, false, 0, IN_MEMORY_INDEX);
        }

        /** As these options, with an index block of more than {@code bytes} (as stored) streamed. */
        public Options withInMemoryIndex(long bytes) {
            return new Options(lastN, value, mergeOperands, verifyCopied, sync, padTo, newSize, grow, bytes);
        }

        /** As these options, padded to {@code bytes} (the input's size keeps the file's length). */
        public Options withPadTo(long bytes) {
            return new Options(lastN, value, mergeOperands, verifyCopied, sync, bytes, newSize, grow, inMemoryIndex);
        }

        public Options withMergeOperands(boolean on) {
            return new Options(lastN, value, on, verifyCopied, sync, padTo, newSize, grow, inMemoryIndex);
        }

        public Options withVerifyCopied(boolean on) {
            return new Options(lastN, value, mergeOperands, on, sync, padTo, newSize, grow, inMemoryIndex);
        }

        public Options withSync(boolean on) {
            return new Options(lastN, value, mergeOperands, verifyCopied, on, padTo, newSize, grow, inMemoryIndex);
        }

        public Options withNewSize(boolean on) {
            return new Options(lastN, value, mergeOperands, verifyCopied, sync, padTo, on, grow, inMemoryIndex);
        }

        Options growing(int bytes) {
            return new Options(lastN, value, mergeOperands, verifyCopied, sync, padTo, newSize, bytes, inMemoryIndex);
        }
    }

    /** One changed entry: user key, its sequence number and type (kept), old and new value, in hex. */
    public record Change(String keyHex, long sequence, String type, String oldHex, String newHex) {}

    /**
     * What was done. {@code blocksCopiedRaw} + {@code blocksReencoded} = {@code dataBlocks}; {@code bytesCopiedRaw}
     * counts the data prefix and the meta blocks copied as they were, {@code bytesWrittenNew} the re-encoded data
     * blocks, index, properties, metaindex and footer; {@code padding} the zeros {@link Options#padTo} added;
     * {@code entriesSkipped} the tombstones (and merge operands) passed over while counting; {@code millis} the
     * time of each phase (plan, copyRaw, reencode, sync, total). {@code changes} are in key order.
     */
    public record Result(long bytesBefore, long bytesAfter, int formatVersion, String checksum, int dataBlocks,
                         int blocksCopiedRaw, int blocksReencoded, long bytesCopiedRaw, long bytesWrittenNew,
                         long padding, long entriesSkipped, List<Change> changes, Map<String, Long> millis,
                         boolean snappyBlocksChanged) {
        /** The new table is as long as the old one: RocksDB's size check at open will not tell them apart. */
        public boolean sameSize() {
            return bytesAfter == bytesBefore;
        }
    }

    /** A data block at the end of the file that had to be decoded to find the last N entries. */
    record TouchedBlock(int index, byte[] stored, StoredBlock.Decoded decoded, List<BlockEntries.Entry> entries,
                                boolean changed) {}

    /**
     * Writes {@code target}, which must not exist, from {@code source} with the change made, and returns what
     * was done. Every refusal is a {@link Failure} with a one-line message and nothing left at {@code target}:
     * {@link ExitCode#USAGE} for bad options, {@link ExitCode#NOT_FOUND} for a missing source,
     * {@link ExitCode#CONFLICT} for an existing target, {@link ExitCode#BAD_STATE} for a source that is corrupt
     * or outside what this rewriter can keep faithful (format_version 6+, ZSTD/LZ4 blocks to re-encode,
     * partitioned index, fewer value entries than asked, ...: see {@link BadTable}). An {@link IOException} of
     * the file system also leaves no target behind.
     */
    public static Result rewrite(Path source, Path target, Options o) throws IOException {
        check(source, o);
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw Failure.of(ExitCode.CONFLICT, "%s exists; remove it first", target);
        }
        boolean[] created = {false};
        try {
            Result r = write(source, target, o, created);
            // the table kept its length although write() did not foresee it (blocks that changed length made up
            // for each other): store a changed Snappy block a byte (or two, three) longer
            for (int grow = 1; o.newSize() && o.padTo() == 0 && r.sameSize() && r.snappyBlocksChanged() && grow <= 3; grow++) {
                Files.delete(target);
                created[0] = false;
                r = write(source, target, o.growing(grow), created);
            }
            return r;
        } catch (BadTable e) {
            removePartial(target, created);
            throw new Failure(ExitCode.BAD_STATE, source + ": " + e.getMessage() + "; nothing written", e);
        } catch (IOException | RuntimeException | Error e) {
            removePartial(target, created);
            throw e;
        }
    }

    /**
     * The changes {@link #rewrite} would make, in key order, found without writing anything (a dry run): the
     * same refusals for options and tables, {@link ExitCode#BAD_STATE} with "nothing written".
     */
    public static List<Change> preview(Path source, Options o) throws IOException {
        return read(source, o, in -> locate(in, o, Reading.INDEX_END).changes());
    }

    /** The options and the source every change checks first: {@link ExitCode#USAGE}, {@link ExitCode#NOT_FOUND}. */
    private static void check(Path source, Options o) {
        if (o.lastN() < 1) {
            throw Failure.of(ExitCode.USAGE, "the number of entries to change must be at least 1, got %d", o.lastN());
        }
        if (o.value() == null) {
            throw Failure.of(ExitCode.USAGE, "no new value given");
        }
        if (!Files.isRegularFile(source)) {
            throw Failure.of(ExitCode.NOT_FOUND, "no such file: %s", source);
        }
    }

    /** What is read from an open table. */
    interface TableRead<T> {
        T from(FileChannel in) throws IOException;
    }

    /**
     * Checks the options and the source, opens it and reads {@code read} from it; a table it cannot keep faithful
     * is {@link ExitCode#BAD_STATE} with "nothing written" (nothing is written while reading).
     */
    static <T> T read(Path source, Options o, TableRead<T> read) throws IOException {
        check(source, o);
        try (FileChannel in = PartialFile.open(source)) {
            return read.from(in);
        } catch (BadTable e) {
            throw new Failure(ExitCode.BAD_STATE, source + ": " + e.getMessage() + "; nothing written", e);
        }
    }

    private static void removePartial(Path target, boolean[] created) {
        if (created[0]) {
            try {
                Files.deleteIfExists(target);
            } catch (IOException suppressed) {
                // the original failure is the one to report
            }
        }
    }

    private static Result write(Path source, Path target, Options o, boolean[] created) throws IOException {
        Map<String, Long> millis = new HashMap<>();
        long t0 = System.nanoTime();
        try (FileChannel in = PartialFile.open(source);
             FileChannel out = create(target, created);
             AheadCopy ahead = o.verifyCopied() ? null : AheadCopy.start(in, out, copiedAhead(in), o.sync())) {
            // the whole index parsed only where every handle is needed: to verify the blocks copied, or to move the
            // index along with padding; else a small index is read in one go and parsed from its end, a large one
            // streamed in bounded memory
            Located at = locate(in, o, o.verifyCopied() || o.padTo() > 0 ? Reading.WHOLE_INDEX
                    : indexBytes(in) <= o.inMemoryIndex() ? Reading.INDEX_END : Reading.STREAMED_INDEX);
            BlockBasedTable table = at.table();
            List<BlockBasedTable.TailBlock> tail = table.tail();
            int checksum = table.footer.checksumType();
            List<Change> changes = at.changes();
            long[] skipped = {at.skipped()};
            long[] rawValueDelta = {at.rawValueDelta()};
            List<TouchedBlock> touched = at.touched();
            int first = touched.get(0).index();
            long t1 = System.nanoTime();
            millis.put("plan", (t1 - t0) / 1_000_000);

            // the changed blocks encoded while the copy runs; their lengths say whether the table keeps its length
            Encoded encoded = encode(touched, checksum, o, rawValueDelta[0]);
            byte[][] blocks = encoded.blocks();
            int reencoded = encoded.reencoded();
            boolean snappyChanged = encoded.snappyChanged();
            long prefix = table.index.handle(first).offset();
            if (ahead == null) {
                copyVerified(in, out, table, first);
            } else {
                long copied = ahead.awaitCopied();
                if (copied < prefix) {
                    transfer(in, out, copied, prefix - copied);
                }
            }
            long t2 = System.nanoTime();
            millis.put("copyRaw", (t2 - t1) / 1_000_000);

            List<BlockHandle> handles = new ArrayList<>(touched.size()); // of blocks first..last
            long pos = prefix;
            long written = 0;
            long copiedRaw = prefix + rawTailBytes(tail);
            for (int k = 0; k < blocks.length; k++) {
                TouchedBlock b = touched.get(k);
                byte[] stored = blocks[k];
                if (!b.changed()) {
                    copiedRaw += stored.length;
                }
                write(out, stored, pos);
                handles.add(new BlockHandle(pos, stored.length - BlockHandle.TRAILER));
                pos += stored.length;
                written += b.changed() ? stored.length : 0;
            }
            long dataEnd = pos;
            Piece indexPiece;
            long indexSize;
            if (table.index instanceof StreamedIndex streamed) {
                // written straight into place (after the meta blocks RocksDB puts before it, copied raw), in
                // bounded memory; the pieces after it only need its length
                long indexAt = dataEnd;
                for (BlockBasedTable.TailBlock b : tail) {
                    if (b.name().equals(BlockBasedTable.INDEX)) {
                        break;
                    }
                    indexAt += b.handle().size() + BlockHandle.TRAILER;
                }
                StreamedIndex.Written w = streamed.rewrite(first, handles, out, indexAt, checksum);
                indexPiece = new Piece(null, -1, w.storedLength());
                indexSize = newIndexSize(table, streamed.contentLength(), w.contentLength(), w.storedLength());
                written += w.storedLength();
            } else {
                ByteSink indexContents = ((IndexBlock) table.index).encodeWith(first, handles,
                        new ByteSink(table.indexBlock.contents().length + 64));
                byte[] indexStored = StoredBlock.encode(indexContents.array(), indexContents.size(),
                        table.indexBlock.compression(), checksum);
                indexPiece = new Piece(indexStored, 0, 0);
                indexSize = newIndexSize(table, table.indexBlock.contents().length, indexContents.size(), indexStored.length);
            }
            long padding = 0;
            List<Piece> pieces = tailPieces(table, tail, dataEnd, indexPiece, indexSize, rawValueDelta[0]);
            if (o.padTo() > 0) {
                // Zeros after the last data block, counted in the data region as block_align padding is:
                // no reader looks at bytes no handle points to, and RocksDB checks a DB's SST sizes.
                for (int round = 0; ; round++) {
                    long p = o.padTo() - dataEnd - length(pieces);
                    if (p < 0) {
                        throw new BadTable("the rewritten table is " + (-p) + " bytes longer than " + o.padTo()
                                + "; padding can only lengthen it");
                    }
                    if (p == padding) {
                        break;
                    }
                    if (round == 4) {
                        throw new BadTable("no padding makes the table exactly " + o.padTo() + " bytes");
                    }
                    padding = p;
                    pieces = tailPieces(table, tail, dataEnd + padding, indexPiece, indexSize, rawValueDelta[0]);
                }
                write(out, ByteBuffer.allocate(Math.toIntExact(padding)), pos);
                pos += padding;
            }
            for (Piece piece : pieces) {
                if (piece.bytes() != null) {
                    write(out, piece.bytes(), pos);
                    written += piece.bytes().length;
                } else if (piece.rawFrom() >= 0) {
                    transfer(in, out, piece.rawFrom(), piece.rawLength(), pos);
                } // else: already written in place (the streamed index)
                pos += piece.length();
            }
            if (out.size() > pos) {
                out.truncate(pos); // what the copy ahead wrote past the new table's end
            }
            long t3 = System.nanoTime();
            millis.put("reencode", (t3 - t2) / 1_000_000);
            if (ahead != null) {
                ahead.finish();
            }
            if (o.sync()) {
                out.force(true);
            }
            millis.put("sync", (System.nanoTime() - t3) / 1_000_000);
            millis.put("total", (System.nanoTime() - t0) / 1_000_000);
            return new Result(table.fileSize, pos, table.footer.formatVersion(), StoredBlock.checksumName(checksum),
                    table.index.size(), table.index.size() - reencoded, reencoded, copiedRaw, written, padding, skipped[0], changes, millis,
                    snappyChanged);
        }
    }

    /** Creates {@code target}, which must not exist, and says so in {@code created} (a failure after it removes it). */
    private static FileChannel create(Path target, boolean[] created) throws IOException {
        FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        created[0] = true;
        return out;
    }

    /** The touched blocks as they are to be written, and what re-encoding them found. */
    private record Encoded(byte[][] blocks, int reencoded, boolean snappyChanged) {}

    /**
     * The touched blocks, the changed ones re-encoded with a new checksum. With {@link Options#newSize}, a table
     * that would keep its length (every changed block as long as before, and the values too: then handles, index
     * and properties are the same) has its first changed Snappy block stored a byte longer at once, not after a
     * whole table written to find it out ({@link #rewrite} still checks the length it gets); {@link Options#grow}
     * asks for that explicitly.
     */
    private static Encoded encode(List<TouchedBlock> touched, int checksum, Options o, long rawValueDelta) {
        byte[][] blocks = new byte[touched.size()][];
        boolean snappyChanged = false;
        boolean lengthsKept = true;
        int reencoded = 0;
        ByteSink contents = new ByteSink(8192);
        for (int k = 0; k < blocks.length; k++) {
            TouchedBlock b = touched.get(k);
            blocks[k] = b.stored();
            if (b.changed()) {
                BlockEntries.encode(b.entries(), contents);
                blocks[k] = StoredBlock.encode(contents.array(), contents.size(), b.decoded().compression(), checksum);
                snappyChanged |= b.decoded().compression() == StoredBlock.SNAPPY;
                lengthsKept &= blocks[k].length == b.stored().length;
                reencoded++;
            }
        }
        int grow = o.grow();
        if (grow == 0 && o.newSize() && o.padTo() == 0 && snappyChanged && lengthsKept && rawValueDelta == 0) {
            grow = 1;
        }
        for (int k = 0; k < blocks.length && grow > 0; k++) {
            TouchedBlock b = touched.get(k);
            if (b.changed() && b.decoded().compression() == StoredBlock.SNAPPY) {
                BlockEntries.encode(b.entries(), contents);
                blocks[k] = StoredBlock.encodeTo(contents.array(), contents.size(), StoredBlock.SNAPPY, checksum,
                        blocks[k].length + grow, "data block " + b.index());
                grow = 0;
            }
        }
        return new Encoded(blocks, reencoded, snappyChanged);
    }

    /**
     * The largest index block (as stored) a rewrite reads into memory whole and parses from its end: about 3 MiB
     * uncompressed, a table of up to ~350 MiB; it and its rewrite hold about 10 MiB. A larger one is streamed
     * ({@link StreamedIndex}), which reads every entry but holds a constant few MiB however large the table.
     */
    static final long IN_MEMORY_INDEX = 2L << 20;

    /** The index block's stored length as the footer gives it; {@code Long.MAX_VALUE} for a file without a footer. */
    private static long indexBytes(FileChannel in) throws IOException {
        TableFooter f = footerOrNull(in);
        return f == null ? Long.MAX_VALUE : f.index().size();
    }

    /**
     * How much of {@code in} to copy ahead: its data region as the footer places it (everything before the index
     * block and the metaindex), all of which a rewrite keeps but for the last blocks; nothing of a file without a
     * footer.
     */
    private static long copiedAhead(FileChannel in) throws IOException {
        TableFooter f = footerOrNull(in);
        return f == null ? 0 : Math.max(0, Math.min(in.size(), Math.min(f.index().offset(), f.metaindex().offset())));
    }

    /**
     * The table's footer, or null for a file too short for one or whose footer is refused: what the rewrite guesses
     * from before it reads the table, which then says what is wrong with it.
     */
    private static TableFooter footerOrNull(FileChannel in) throws IOException {
        long size = in.size();
        if (size < TableFooter.LENGTH) {
            return null;
        }
        try {
            return TableFooter.read(in, size);
        } catch (BadTable e) {
            return null;
        }
    }

    /** Part of the tail: bytes to write, a range of the input to copy as is, or ({@code rawFrom} -1) bytes already written. */
    private record Piece(byte[] bytes, long rawFrom, long rawLength) {
        long length() {
            return bytes != null ? bytes.length : rawLength;
        }
    }

    private static long length(List<Piece> pieces) {
        return pieces.stream().mapToLong(Piece::length).sum();
    }

    /**
     * The blocks after the data region, laid out from {@code tailStart} in the input's order: the new index, the
     * updated properties, raw copies of the other meta blocks, the metaindex pointing at them all, the footer.
     */
    private static List<Piece> tailPieces(BlockBasedTable t, List<BlockBasedTable.TailBlock> tail, long tailStart,
                                          Piece indexPiece, long indexSize, long rawValueDelta) {
        int checksum = t.footer.checksumType();
        long dataDelta = tailStart - tail.get(0).handle().offset();
        Map<String, Long> updates = new HashMap<>();
        updates.put(BlockBasedTable.PROP_DATA_SIZE, t.number(BlockBasedTable.PROP_DATA_SIZE, 0) + dataDelta);
        updates.put(BlockBasedTable.PROP_INDEX_SIZE, indexSize);
        updates.put(BlockBasedTable.PROP_RAW_VALUE_SIZE, t.number(BlockBasedTable.PROP_RAW_VALUE_SIZE, 0) + rawValueDelta);
        if (t.value(BlockBasedTable.PROP_TAIL_START) != null) {
            updates.put(BlockBasedTable.PROP_TAIL_START, t.number(BlockBasedTable.PROP_TAIL_START, 0) + dataDelta);
        }
        ByteSink contents = new ByteSink(4096);
        BlockEntries.encode(t.propertiesWith(updates), contents);
        byte[] propertiesStored = StoredBlock.encode(contents.array(), contents.size(), t.propertiesBlock.compression(), checksum);

        List<Piece> pieces = new ArrayList<>();
        Map<String, BlockHandle> moved = new HashMap<>();
        long pos = tailStart;
        for (BlockBasedTable.TailBlock b : tail) {
            Piece piece = switch (b.name()) {
                case BlockBasedTable.INDEX -> indexPiece;
                case BlockBasedTable.PROPERTIES -> new Piece(propertiesStored, 0, 0);
                case BlockBasedTable.METAINDEX -> null; // last; written once the others' offsets are known
                default -> new Piece(null, b.handle().offset(), b.handle().size() + BlockHandle.TRAILER);
            };
            if (piece == null) {
                continue;
            }
            pieces.add(piece);
            moved.put(b.name(), new BlockHandle(pos, piece.length() - BlockHandle.TRAILER));
            pos += piece.length();
        }
        List<BlockEntries.Entry> metaindex = new ArrayList<>();
        for (BlockEntries.Entry e : t.metaindex) {
            metaindex.add(e.withValue(moved.get(new String(e.key(), java.nio.charset.StandardCharsets.UTF_8)).encoded()));
        }
        BlockEntries.encode(metaindex, contents);
        byte[] metaindexStored = StoredBlock.encode(contents.array(), contents.size(), t.metaindexBlock.compression(), checksum);
        pieces.add(new Piece(metaindexStored, 0, 0));
        BlockHandle metaindexHandle = new BlockHandle(pos, metaindexStored.length - BlockHandle.TRAILER);
        byte[] footer = new TableFooter(checksum, metaindexHandle, moved.get(BlockBasedTable.INDEX), t.footer.formatVersion()).encode();
        pieces.add(new Piece(footer, 0, 0));
        return pieces;
    }

    /** How many index entries a streamed read keeps: the blocks a change of the last values can touch. */
    static final int KEEP = 4096;

    /** How {@link #locate} reads the index. */
    enum Reading {
        /** Every handle in memory: to verify the blocks copied raw, or to move the index along with padding. */
        WHOLE_INDEX,
        /** As a stream, the last handles kept: memory independent of the table, for a rewrite of a large index. */
        STREAMED_INDEX,
        /**
         * Decompressed in one go and parsed from its end only: fastest, for a change that moves nothing and for a
         * rewrite of an index of at most {@link #IN_MEMORY_INDEX}.
         */
        INDEX_END
    }

    /** A table, the data blocks holding the last N value entries (with the change made), and what was counted. */
    record Located(BlockBasedTable table, List<TouchedBlock> touched, List<Change> changes, long skipped, long rawValueDelta) {}

    /**
     * Reads the table (its index as {@code reading} says) and finds the last N value entries; when they reach
     * further back than the handles kept, reads it again with the whole index.
     */
    static Located locate(FileChannel in, Options o, Reading reading) throws IOException {
        BlockBasedTable table = switch (reading) {
            case WHOLE_INDEX -> BlockBasedTable.read(in);
            case STREAMED_INDEX -> BlockBasedTable.readTail(in, KEEP);
            case INDEX_END -> BlockBasedTable.readEnd(in, KEEP);
        };
        List<Change> changes = new ArrayList<>();
        long[] skipped = {0};
        long[] rawValueDelta = {0};
        List<TouchedBlock> touched = findLastEntries(in, table, o, changes, skipped, rawValueDelta);
        if (touched == null || (touched.get(0).index() > 0 && !table.index.holds(touched.get(0).index() - 1))) {
            return locate(in, o, Reading.WHOLE_INDEX);
        }
        return new Located(table, touched, changes, skipped[0], rawValueDelta[0]);
    }

    /**
     * Walks data blocks from the last one back, decoding each, until N value entries are found; replaces their
     * values in the decoded entries. Every block from the first changed one to the end is returned. With a
     * streamed index, null when the walk reaches past the kept handles ({@link #locate} then reads the whole index).
     */
    static List<TouchedBlock> findLastEntries(FileChannel in, BlockBasedTable table, Options o, List<Change> changes,
                                                      long[] skipped, long[] rawValueDelta) throws IOException {
        List<TouchedBlock> touched = new ArrayList<>();
        java.util.HexFormat hex = java.util.HexFormat.of();
        int found = 0;
        int checksum = table.footer.checksumType();
        for (int i = table.index.size() - 1; i >= 0 && found < o.lastN(); i--) {
            if (!table.index.holds(i)) {
                return null; // cut short: locate() starts over with the whole index
            }
            BlockHandle h = table.index.handle(i);
            byte[] stored = StoredBlock.readStored(in, h);
            String what = "data block " + i;
            StoredBlock.Decoded d = StoredBlock.decode(stored, h, checksum, what);
            List<BlockEntries.Entry> entries = new ArrayList<>(BlockEntries.parse(d.contents(), what));
            boolean changed = false;
            for (int e = entries.size() - 1; e >= 0 && found < o.lastN(); e--) {
                BlockEntries.Entry entry = entries.get(e);
                int type = InternalKey.type(entry.key());
                if (type == InternalKey.VALUE || (type == InternalKey.MERGE && o.mergeOperands())) {
                    entries.set(e, entry.withValue(o.value().clone()));
                    rawValueDelta[0] += o.value().length - entry.value().length;
                    changes.add(new Change(hex.formatHex(InternalKey.userKey(entry.key())), InternalKey.sequence(entry.key()),
                            InternalKey.typeName(type), hex.formatHex(entry.value()), hex.formatHex(o.value())));
                    found++;
                    // a value set to what it was changes nothing: its block stays as it is (a second run is a no-op)
                    changed |= !java.util.Arrays.equals(entry.value(), o.value());
                } else if (InternalKey.isTombstone(type) || type == InternalKey.MERGE) {
                    skipped[0]++;
                } else {
                    throw new BadTable(what + " holds an entry of type " + InternalKey.typeName(type)
                            + "; its value has its own encoding, not supported");
                }
            }
            touched.add(0, new TouchedBlock(i, stored, d, entries, changed));
        }
        if (found < o.lastN()) {
            throw new BadTable("asked to change the last " + o.lastN() + " value entries, but the table holds only " + found);
        }
        java.util.Collections.reverse(changes);
        return touched;
    }

    /**
     * index_size as the input defines it: RocksDB 8.x/10.x writes the uncompressed index size plus the 5-byte
     * trailer; the stored size is accepted too.
     */
    private static long newIndexSize(BlockBasedTable t, long oldUncompressed, long newUncompressed, long newStored) {
        long old = t.number(BlockBasedTable.PROP_INDEX_SIZE, -1);
        long oldStored = t.footer.index().size() + BlockHandle.TRAILER;
        if (old == oldUncompressed + BlockHandle.TRAILER) {
            return newUncompressed + BlockHandle.TRAILER;
        }
        if (old == oldStored) {
            return newStored;
        }
        if (old == oldStored - BlockHandle.TRAILER) {
            return newStored - BlockHandle.TRAILER;
        }
        throw new BadTable("index size property " + old + " matches neither the index block's stored (" + oldStored
                + ") nor uncompressed size (" + oldUncompressed + "): cannot keep it consistent");
    }

    private static long rawTailBytes(List<BlockBasedTable.TailBlock> tail) {
        long n = 0;
        for (BlockBasedTable.TailBlock b : tail) {
            if (!b.name().equals(BlockBasedTable.INDEX) && !b.name().equals(BlockBasedTable.PROPERTIES)
                    && !b.name().equals(BlockBasedTable.METAINDEX)) {
                n += b.handle().size() + BlockHandle.TRAILER;
            }
        }
        return n;
    }

    /** Copies data blocks [0, first) through the heap in chunks, verifying every block checksum on the way. */
    private static void copyVerified(FileChannel in, FileChannel out, BlockBasedTable t, int first) throws IOException {
        int checksum = t.footer.checksumType();
        byte[] buf = new byte[(int) VERIFY_CHUNK + (1 << 20)];
        int i = 0;
        while (i < first) {
            long start = t.index.handle(i).offset();
            int j = i;
            while (j < first && t.index.handle(j).end() - start <= buf.length) {
                j++;
                if (t.index.handle(j - 1).end() - start >= VERIFY_CHUNK) {
                    break;
                }
            }
            if (j == i) {
                throw new BadTable("data block " + i + " is larger than " + buf.length + " bytes");
            }
            int len = (int) (t.index.handle(j - 1).end() - start);
            ByteBuffer bb = ByteBuffer.wrap(buf, 0, len);
            TableFooter.readFully(in, bb, start);
            for (int k = i; k < j; k++) {
                BlockHandle h = t.index.handle(k);
                int at = (int) (h.offset() - start);
                StoredBlock.verify(buf, at, (int) h.size(), checksum, h.offset(), "data block " + k);
            }
            write(out, ByteBuffer.wrap(buf, 0, len), start);
            i = j;
        }
    }

    private static void transfer(FileChannel in, FileChannel out, long from, long length) throws IOException {
        transfer(in, out, from, length, from);
    }

    /** Kernel-side copy (sendfile/copy_file_range) of {@code length} bytes at {@code from} to {@code to}. */
    static void transfer(FileChannel in, FileChannel out, long from, long length, long to) throws IOException {
        out.position(to);
        long done = 0;
        while (done < length) {
            long n = in.transferTo(from + done, length - done, out);
            if (n <= 0) {
                throw new IOException("copy stopped at byte " + (from + done));
            }
            done += n;
        }
    }

    private static void write(FileChannel out, byte[] bytes, long at) throws IOException {
        write(out, ByteBuffer.wrap(bytes), at);
    }

    static void write(FileChannel out, ByteBuffer bb, long at) throws IOException {
        long p = at;
        while (bb.hasRemaining()) {
            p += out.write(bb, p);
        }
    }
}
