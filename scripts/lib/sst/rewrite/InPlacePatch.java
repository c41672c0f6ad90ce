package statelab.sst.rewrite;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;
import statelab.cli.CrashPoint;
import statelab.cli.ExitCode;
import statelab.cli.Failure;

/**
 * A {@link BlockPatch.Plan} applied to the SST itself, crash-safe: only the changed bytes are written (a few KiB,
 * whatever the file's size), and a kill at any moment leaves the file as it was or as planned, never in between.
 *
 * <ol>
 *   <li>The SST is locked (an advisory {@link FileLock}, released by the kernel when the process dies, so a
 *       dead run never holds it), and the bytes the plan expects are checked to be there.</li>
 *   <li>An undo record {@code .<name>.statelab-undo} beside it: every region's offset, old and new bytes, and a
 *       CRC32C of the record. Written to a temporary name, synced, renamed into place, directory synced: the
 *       record exists complete or not at all.</li>
 *   <li>The regions are written and the SST synced.</li>
 *   <li>The record is deleted (directory synced): that is the commit.</li>
 * </ol>
 * A record still there means a run stopped between 2 and 4; {@link #recover} (every swap-sst and resume run on
 * the directory calls it) writes the old bytes back, syncs, and deletes the record: the file is the original
 * again. A record whose SST is locked belongs to a run still going, and is left alone.
 */
public final class InPlacePatch {
    static final String UNDO_SUFFIX = ".statelab-undo";
    private static final byte[] MAGIC = "SLUNDO01".getBytes(StandardCharsets.US_ASCII);

    private InPlacePatch() {}

    /** The undo record of {@code sst}: {@code .<name>.statelab-undo} in its directory. */
    public static Path undoRecordOf(Path sst) {
        return sst.resolveSibling("." + sst.getFileName() + UNDO_SUFFIX);
    }

    /** What {@link #apply} did: the regions written, their bytes, and how many of those bytes differ. */
    public record Applied(int regions, long bytesWritten, long bytesChanged) {}

    /**
     * Applies {@code plan} to {@code sst} in place. {@link Failure}: {@link ExitCode#CONFLICT} when another run
     * holds the file or it is not what the plan was made from; {@link ExitCode#BAD_STATE} for a file with other
     * hard links (they would change too); {@link ExitCode#CANNOT_WRITE} when the record or the file cannot be
     * written (the file is then as it was).
     */
    public static Applied apply(Path sst, BlockPatch.Plan plan) throws IOException {
        Object links = Files.getAttribute(sst, "unix:nlink");
        if (links instanceof Integer n && n > 1) {
            throw Failure.of(ExitCode.BAD_STATE, "%s has %d hard links, which an in-place patch would change too; "
                    + "drop --in-place to write a new file", sst, n);
        }
        Path record = undoRecordOf(sst);
        try (FileChannel ch = FileChannel.open(sst, StandardOpenOption.READ, StandardOpenOption.WRITE);
             FileLock lock = lock(ch, sst)) {
            rollBack(sst, record, ch);
            check(ch, sst, plan);
            if (plan.regions().isEmpty()) {
                return new Applied(0, 0, 0); // the values are what they were to become: nothing to write, no record
            }
            writeRecord(sst, record, plan);
            CrashPoint.reached("undo-synced");
            long written = 0;
            for (BlockPatch.Region r : plan.regions()) {
                BlockRewriter.write(ch, ByteBuffer.wrap(r.after()), r.offset());
                written += r.after().length;
                CrashPoint.reached("region-written");
            }
            ch.force(true);
            CrashPoint.reached("patched");
            Files.delete(record);
            syncDirectory(sst);
            return new Applied(plan.regions().size(), written, plan.bytesChanged());
        }
    }

    /**
     * Rolls back every interrupted in-place patch in {@code dir}: for each undo record whose SST no live run
     * holds, the old bytes are written back and the record removed. Returns the SSTs rolled back.
     */
    public static List<Path> recover(Path dir) throws IOException {
        List<Path> rolledBack = new ArrayList<>();
        List<Path> records;
        try (var files = Files.list(dir)) {
            records = files.filter(p -> {
                String n = p.getFileName().toString();
                return n.startsWith(".") && (n.endsWith(UNDO_SUFFIX) || n.endsWith(UNDO_SUFFIX + ".tmp"));
            }).sorted().toList();
        } catch (NoSuchFileException e) {
            return rolledBack;
        }
        for (Path record : records) {
            String n = record.getFileName().toString();
            String sstName = n.substring(1, n.lastIndexOf(UNDO_SUFFIX));
            Path sst = dir.resolve(sstName);
            if (!Files.isRegularFile(sst)) {
                continue; // not ours to judge: an undo record of a file that is gone
            }
            try (FileChannel ch = FileChannel.open(sst, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                FileLock lock = tryLock(ch);
                if (lock == null) {
                    continue; // a run is patching it now
                }
                try (lock) {
                    if (n.endsWith(".tmp")) {
                        Files.deleteIfExists(record); // a record never completed: its patch never started
                    } else if (rollBack(sst, record, ch)) {
                        rolledBack.add(sst);
                    }
                }
            }
        }
        return rolledBack;
    }

    /** Undoes the patch {@code record} describes, if there is one; the caller holds the lock. */
    private static boolean rollBack(Path sst, Path record, FileChannel ch) throws IOException {
        Files.deleteIfExists(record.resolveSibling(record.getFileName() + ".tmp"));
        if (!Files.exists(record)) {
            return false;
        }
        List<BlockPatch.Region> regions = readRecord(sst, record, ch.size());
        for (BlockPatch.Region r : regions) {
            // only a file this record was made for is written: each region holds its old bytes, its new ones, or
            // (the one being written when the run stopped) a mix of the two
            ByteBuffer now = ByteBuffer.allocate(r.before().length);
            while (now.hasRemaining() && ch.read(now, r.offset() + now.position()) > 0) {
                // read on
            }
            for (int i = 0; i < now.capacity(); i++) {
                byte b = now.get(i);
                if (b != r.before()[i] && b != r.after()[i]) {
                    throw Failure.of(ExitCode.BAD_STATE, "%s: %s does not hold what the record says was patched (byte %d); "
                            + "both left as they are", record, sst.getFileName(), r.offset() + i);
                }
            }
        }
        for (BlockPatch.Region r : regions) {
            BlockRewriter.write(ch, ByteBuffer.wrap(r.before()), r.offset());
        }
        ch.force(true);
        Files.delete(record);
        syncDirectory(sst);
        return true;
    }

    private static FileLock lock(FileChannel ch, Path sst) throws IOException {
        FileLock lock = tryLock(ch);
        if (lock == null) {
            throw Failure.of(ExitCode.CONFLICT, "another run is patching %s; wait for it to end", sst);
        }
        return lock;
    }

    private static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException e) {
            return null; // held by this very process
        }
    }

    /** The file must be what the plan was made from: its size, and the old bytes at every region. */
    private static void check(FileChannel ch, Path sst, BlockPatch.Plan plan) throws IOException {
        if (ch.size() != plan.bytes()) {
            throw Failure.of(ExitCode.CONFLICT, "%s changed since it was read (%d bytes, %d then); nothing written",
                    sst, ch.size(), plan.bytes());
        }
        for (BlockPatch.Region r : plan.regions()) {
            ByteBuffer now = ByteBuffer.allocate(r.before().length);
            while (now.hasRemaining() && ch.read(now, r.offset() + now.position()) > 0) {
                // read on
            }
            if (!Arrays.equals(now.array(), r.before())) {
                throw Failure.of(ExitCode.CONFLICT, "%s changed since it was read (%s at offset %d); nothing written",
                        sst, r.what(), r.offset());
            }
        }
    }

    private static void writeRecord(Path sst, Path record, BlockPatch.Plan plan) {
        Path tmp = record.resolveSibling(record.getFileName() + ".tmp");
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.write(MAGIC);
            out.writeUTF(sst.getFileName().toString());
            out.writeLong(plan.bytes());
            out.writeInt(plan.regions().size());
            for (BlockPatch.Region r : plan.regions()) {
                out.writeLong(r.offset());
                out.writeInt(r.before().length);
                out.write(r.before());
                out.write(r.after());
            }
            CRC32C crc = new CRC32C();
            crc.update(bytes.toByteArray());
            out.writeLong(crc.getValue());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                BlockRewriter.write(ch, ByteBuffer.wrap(bytes.toByteArray()), 0);
                ch.force(true);
            }
            try {
                Files.move(tmp, record, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system cannot rename atomically", e);
            }
            syncDirectory(sst);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException suppressed) {
                // the first failure is the one to report
            }
            throw Failure.of(ExitCode.CANNOT_WRITE, "cannot write the undo record %s: %s; nothing written", record, e.getMessage());
        }
    }

    /** The regions of a complete, intact record; {@link ExitCode#BAD_STATE} for anything else (left for a person). */
    private static List<BlockPatch.Region> readRecord(Path sst, Path record, long size) throws IOException {
        byte[] all = Files.readAllBytes(record);
        try {
            if (all.length < MAGIC.length + 8 || !Arrays.equals(Arrays.copyOf(all, MAGIC.length), MAGIC)) {
                throw new IOException("not an undo record");
            }
            CRC32C crc = new CRC32C();
            crc.update(all, 0, all.length - 8);
            if (crc.getValue() != ByteBuffer.wrap(all, all.length - 8, 8).getLong()) {
                throw new IOException("its checksum does not match");
            }
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all, MAGIC.length, all.length - MAGIC.length - 8));
            String name = in.readUTF();
            long bytes = in.readLong();
            if (!name.equals(sst.getFileName().toString()) || bytes != size) {
                throw new IOException("it is for " + name + " of " + bytes + " bytes");
            }
            int n = in.readInt();
            List<BlockPatch.Region> regions = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                long offset = in.readLong();
                byte[] before = new byte[in.readInt()];
                byte[] after = new byte[before.length];
                in.readFully(before);
                in.readFully(after);
                regions.add(new BlockPatch.Region(offset, before, after, "region " + i));
            }
            return regions;
        } catch (IOException | RuntimeException e) {
            throw Failure.of(ExitCode.BAD_STATE, "%s: cannot roll back %s (%s); both left as they are", record, sst.getFileName(),
                    e.getMessage());
        }
    }

    private static void syncDirectory(Path file) throws IOException {
        try (FileChannel dir = FileChannel.open(file.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
    }
}
