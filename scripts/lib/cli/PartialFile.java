package statelab.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A local file that holds only the parts of a remote file read so far, the rest a hole of the same length: what
 * {@code swap-sst} stages of an SST on S3. A table rewrite reads a few MiB of a 1 GiB table (footer, meta blocks,
 * index, the last data blocks) and copies the rest as it is; fetching all of it first cost more than the rewrite
 * (bench/s3). Reads through {@link #channel} fetch what they touch, in {@link #CHUNK}s, into the local file.
 *
 * <p>A copy ({@link FileChannel#transferTo}) of a part never fetched to the same offset of another file skips it,
 * leaving a hole there too, and is recorded ({@link #skipped}): the other file then reads zeros where its bytes are
 * this file's, and whoever uploads it must say so (RemoteSavepoint copies those ranges inside the store). A copy
 * to another offset fetches first. Anything else that reads the file by its path ({@link TableSources#open}) goes
 * through the same channel while it is {@link #register registered}.
 */
public final class PartialFile {
    /** Fetch unit: reads are rounded out to whole chunks of the remote file. */
    public static final long CHUNK = 1L << 20;

    /** Fetches {@code length} bytes of the remote file from {@code offset} into {@code into} at the same offset. */
    public interface Fetcher {
        void fetch(long offset, long length, FileChannel into) throws IOException;
    }

    private static final Map<Path, PartialFile> REGISTERED = new ConcurrentHashMap<>();

    private final Path file;
    private final long size;
    private final Fetcher fetcher;
    /** Fetched ranges, start → end, disjoint and not touching. */
    private final TreeMap<Long, Long> fetched = new TreeMap<>();
    private final List<long[]> skipped = new ArrayList<>();

    private PartialFile(Path file, long size, Fetcher fetcher) {
        this.file = file;
        this.size = size;
        this.fetcher = fetcher;
    }

    /** {@code file}, which must be a file of {@code size} bytes (a hole), fetched from the remote file as it is read. */
    public static PartialFile of(Path file, long size, Fetcher fetcher) {
        return new PartialFile(file, size, fetcher);
    }

    /** Makes {@link #open} of this file's path read through {@link #channel}, until {@link #unregister}. */
    public PartialFile register() {
        REGISTERED.put(key(file), this);
        return this;
    }

    public void unregister() {
        REGISTERED.remove(key(file), this);
    }

    /** Unregisters every partial file in {@code dir} and below. */
    public static void unregisterUnder(Path dir) {
        Path under = key(dir);
        REGISTERED.keySet().removeIf(p -> p.startsWith(under));
    }

    /** Opens {@code file} to read: through the partial file registered for it, if any, else as it is. */
    public static FileChannel open(Path file) throws IOException {
        PartialFile partial = registered(file);
        return partial != null ? partial.channel() : FileChannel.open(file, StandardOpenOption.READ);
    }

    /** The partial file registered for {@code file}, or null. */
    public static PartialFile registered(Path file) {
        return REGISTERED.get(key(file));
    }

    private static Path key(Path file) {
        return file.toAbsolutePath().normalize();
    }

    public Path file() {
        return file;
    }

    public long size() {
        return size;
    }

    /** The ranges never fetched, {from, length}, in order: the holes of the local file. */
    public synchronized List<long[]> holes() {
        List<long[]> holes = new ArrayList<>();
        long at = 0;
        for (Map.Entry<Long, Long> e : fetched.entrySet()) {
            if (e.getKey() > at) {
                holes.add(new long[] {at, e.getKey() - at});
            }
            at = e.getValue();
        }
        if (at < size) {
            holes.add(new long[] {at, size - at});
        }
        return holes;
    }

    /** The ranges copies to the same offset skipped, {from, length}, in the order they were copied. */
    public synchronized List<long[]> skipped() {
        return List.copyOf(skipped);
    }

    /** Bytes fetched so far. */
    public synchronized long fetchedBytes() {
        return fetched.entrySet().stream().mapToLong(e -> e.getValue() - e.getKey()).sum();
    }

    /** Makes {@code [from, from + length)} local, fetching the chunks it touches that are not. */
    synchronized void ensure(FileChannel local, long from, long length) throws IOException {
        long end = Math.min(size, from + length);
        long at = Math.max(0, from) / CHUNK * CHUNK;
        while (at < end) {
            Map.Entry<Long, Long> covering = fetched.floorEntry(at);
            if (covering != null && covering.getValue() > at) {
                at = covering.getValue();
                continue;
            }
            Long next = fetched.ceilingKey(at);
            long chunkEnd = Math.min(size, (Math.max(end, at + 1) + CHUNK - 1) / CHUNK * CHUNK);
            long to = next == null ? chunkEnd : Math.min(chunkEnd, next);
            fetcher.fetch(at, to - at, local);
            add(at, to);
            at = to;
        }
    }

    private boolean isFetched(long from, long to) {
        Map.Entry<Long, Long> e = fetched.floorEntry(from);
        return e != null && e.getValue() >= to;
    }

    private void add(long from, long to) {
        long start = from;
        long end = to;
        Map.Entry<Long, Long> before = fetched.floorEntry(start);
        if (before != null && before.getValue() >= start) {
            start = before.getKey();
            end = Math.max(end, before.getValue());
            fetched.remove(before.getKey());
        }
        for (Map.Entry<Long, Long> e = fetched.ceilingEntry(start); e != null && e.getKey() <= end; e = fetched.ceilingEntry(start)) {
            end = Math.max(end, e.getValue());
            fetched.remove(e.getKey());
        }
        fetched.put(start, end);
    }

    /** Copies {@code [position, position + count)} to {@code target} at its position, skipping (and recording) holes there. */
    synchronized long transfer(FileChannel local, long position, long count, FileChannel target) throws IOException {
        long n = Math.min(count, size - position);
        if (n <= 0) {
            return 0;
        }
        long to = target.position();
        if (to != position) {
            ensure(local, position, n);
            return local.transferTo(position, n, target);
        }
        long at = position;
        long end = position + n;
        while (at < end) {
            Map.Entry<Long, Long> e = fetched.floorEntry(at);
            if (e != null && e.getValue() > at) { // fetched: copied
                long stop = Math.min(end, e.getValue());
                long done = local.transferTo(at, stop - at, target.position(at));
                if (done <= 0) {
                    throw new IOException("copy stopped at byte " + at);
                }
                at += done;
            } else { // a hole: left one in the target too
                Long next = fetched.ceilingKey(at);
                long stop = next == null ? end : Math.min(end, next);
                recordSkip(at, stop - at);
                at = stop;
                target.position(at);
            }
        }
        if (target.size() < end) {
            // the copy ended in a hole: the target is as long as a copy makes it (its last byte is in the skipped range,
            // which stands for this file's bytes whatever the target holds there)
            target.write(ByteBuffer.allocate(1), end - 1);
        }
        return n;
    }

    private void recordSkip(long from, long length) {
        if (!skipped.isEmpty()) {
            long[] last = skipped.get(skipped.size() - 1);
            if (last[0] + last[1] == from) {
                last[1] += length;
                return;
            }
        }
        skipped.add(new long[] {from, length});
    }

    /** A channel reading this file: reads fetch what they touch, copies skip holes as the class comment says. */
    public FileChannel channel() throws IOException {
        return new Channel(FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE));
    }

    /** Read-only apart from the fetches, positioned reads and copies only: what the table code uses. */
    private final class Channel extends FileChannel {
        private final FileChannel local;
        private long position;

        Channel(FileChannel local) {
            this.local = local;
        }

        @Override
        public int read(ByteBuffer dst, long at) throws IOException {
            if (at >= size) {
                return -1;
            }
            ensure(local, at, dst.remaining());
            int limit = dst.limit();
            try {
                dst.limit((int) Math.min(limit, dst.position() + (size - at)));
                return local.read(dst, at);
            } finally {
                dst.limit(limit);
            }
        }

        @Override
        public int read(ByteBuffer dst) throws IOException {
            int n = read(dst, position);
            if (n > 0) {
                position += n;
            }
            return n;
        }

        @Override
        public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
            long total = 0;
            for (int i = offset; i < offset + length; i++) {
                int n = read(dsts[i]);
                if (n < 0) {
                    return total == 0 ? -1 : total;
                }
                total += n;
                if (dsts[i].hasRemaining()) {
                    break;
                }
            }
            return total;
        }

        @Override
        public long transferTo(long at, long count, WritableByteChannel target) throws IOException {
            if (target instanceof FileChannel f) {
                return transfer(local, at, count, f);
            }
            ensure(local, at, count);
            return local.transferTo(at, Math.min(count, Math.max(0, size - at)), target);
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public long position() {
            return position;
        }

        @Override
        public FileChannel position(long newPosition) {
            position = newPosition;
            return this;
        }

        @Override
        public int write(ByteBuffer src) {
            throw new java.nio.channels.NonWritableChannelException();
        }

        @Override
        public long write(ByteBuffer[] srcs, int offset, int length) {
            throw new java.nio.channels.NonWritableChannelException();
        }

        @Override
        public int write(ByteBuffer src, long at) {
            throw new java.nio.channels.NonWritableChannelException();
        }

        @Override
        public FileChannel truncate(long newSize) {
            throw new java.nio.channels.NonWritableChannelException();
        }

        @Override
        public void force(boolean metaData) throws IOException {
            local.force(metaData);
        }

        @Override
        public long transferFrom(ReadableByteChannel src, long at, long count) {
            throw new java.nio.channels.NonWritableChannelException();
        }

        @Override
        public MappedByteBuffer map(MapMode mode, long at, long length) {
            throw new UnsupportedOperationException("a partial file is not mapped");
        }

        @Override
        public FileLock lock(long at, long length, boolean shared) throws IOException {
            return local.lock(at, length, shared);
        }

        @Override
        public FileLock tryLock(long at, long length, boolean shared) throws IOException {
            return local.tryLock(at, length, shared);
        }

        @Override
        protected void implCloseChannel() throws IOException {
            local.close();
        }
    }
}
