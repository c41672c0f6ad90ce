package statelab.sst.rewrite;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;

/**
 * The bytes a rewrite keeps, copied on a second thread while the rewrite is still finding what to change, and
 * their writeback to disk started there too ({@link FileChannel#force}): on a 100 MiB table the search through
 * the index and the last blocks (40–50 ms), the kernel's copy (20 ms) and the fsync of 100 MiB (70 ms) then take
 * about as long as the longest of them instead of their sum.
 *
 * <p>It copies {@code [0, length)} of {@code in} to the same offsets of {@code out}, a guess at what the rewrite
 * keeps that may reach further than the bytes finally kept. That is safe because the caller writes every byte
 * from the first one it changes to its new end itself, after {@link #awaitCopied()}, and truncates the file to
 * that end: bytes copied past the kept prefix are overwritten or cut off, never left. Nothing else may write to
 * {@code out} until {@link #awaitCopied()} returns (the copy moves {@code out}'s position).
 */
final class AheadCopy implements AutoCloseable {
    /** A chunk of the copy: {@link #close()} waits at most for one to end. */
    private static final long CHUNK = 64L << 20;

    private final FileChannel in;
    private final FileChannel out;
    private final long length;
    private final boolean sync;
    private final Thread thread;
    private volatile boolean cancelled;
    /** Set under this object's lock, with {@link #copyFailure} written before it; read after it or after the join. */
    private boolean copied;
    private volatile Throwable copyFailure;
    private volatile Throwable flushFailure;

    private AheadCopy(FileChannel in, FileChannel out, long length, boolean sync) {
        this.in = in;
        this.out = out;
        this.length = length;
        this.sync = sync;
        this.thread = new Thread(this::run, "statelab-ahead-copy");
        thread.setDaemon(true);
    }

    /** Starts copying {@code [0, length)} of {@code in} into {@code out}; with {@code sync}, then flushes {@code out}'s data. */
    static AheadCopy start(FileChannel in, FileChannel out, long length, boolean sync) {
        AheadCopy c = new AheadCopy(in, out, length, sync);
        c.thread.start();
        return c;
    }

    private void run() {
        try {
            for (long at = 0; at < length && !cancelled; at += CHUNK) {
                BlockRewriter.transfer(in, out, at, Math.min(CHUNK, length - at), at);
            }
        } catch (Throwable t) {
            copyFailure = t;
        }
        synchronized (this) {
            copied = true;
            notifyAll();
        }
        if (copyFailure == null && sync && !cancelled) {
            try {
                out.force(false); // the caller's force(true) then waits only for what it wrote since
            } catch (Throwable t) {
                flushFailure = t;
            }
        }
    }

    /** Waits until {@code [0, length)} is copied and returns {@code length}; the flush may still be running. */
    long awaitCopied() throws IOException {
        synchronized (this) {
            boolean interrupted = false;
            while (!copied) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        rethrow(copyFailure);
        return length;
    }

    /** Waits for the copy and the flush to end, and reports the first failure of either. */
    void finish() throws IOException {
        join();
        rethrow(copyFailure);
        rethrow(flushFailure);
    }

    private static void rethrow(Throwable failure) throws IOException {
        if (failure instanceof IOException e) {
            throw e;
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw new IOException(failure);
        }
    }

    private void join() throws InterruptedIOException {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the copy after its current chunk, skips the flush, and waits for the thread: {@code out} is the caller's again. */
    @Override
    public void close() throws InterruptedIOException {
        cancelled = true;
        join();
    }
}
