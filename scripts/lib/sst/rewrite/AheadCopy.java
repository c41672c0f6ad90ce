package statelab.sst.rewrite;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.channels.FileChannel;

/**
 * The bytes a rewrite keeps, copied while the rewrite is still finding what to change, and flushed to disk as
 * they are copied: one thread copies in chunks, a second one flushes ({@link FileChannel#force}) what the first
 * has copied so far, again and again until all of it is on disk. On a 100 MiB table the search through the index
 * and the last blocks (20–50 ms), the kernel's copy (20 ms) and the writeback of 100 MiB (60–70 ms here) then
 * take about as long as the longest of them instead of their sum.
 *
 * <p>It copies {@code [0, length)} of {@code in} to the same offsets of {@code out}, a guess at what the rewrite
 * keeps that may reach further than the bytes finally kept. That is safe because the caller writes every byte
 * from the first one it changes to its new end itself, after {@link #awaitCopied()}, and truncates the file to
 * that end: bytes copied past the kept prefix are overwritten or cut off, never left. Nothing else may write to
 * {@code out} until {@link #awaitCopied()} returns (the copy moves {@code out}'s position). The caller's own
 * {@code force} at the end, after {@link #finish()}, is what makes the whole file durable; the flushes here only
 * leave it less to wait for.
 */
final class AheadCopy implements AutoCloseable {
    /** A chunk of the copy: the first flush starts after the first chunk, and {@link #close()} waits for one at most. */
    private static final long CHUNK = 8L << 20;

    private final FileChannel in;
    private final FileChannel out;
    private final long length;
    private final Thread copier;
    private final Thread flusher;
    private volatile boolean cancelled;
    /** Guarded by this object: how far the copy has got, and whether it has ended (copyFailure is set before). */
    private long copiedTo;
    private boolean copyEnded;
    private volatile Throwable copyFailure;
    private volatile Throwable flushFailure;

    private AheadCopy(FileChannel in, FileChannel out, long length, boolean sync) {
        this.in = in;
        this.out = out;
        this.length = length;
        this.copier = new Thread(this::copy, "statelab-ahead-copy");
        this.flusher = sync ? new Thread(this::flush, "statelab-ahead-flush") : null;
        copier.setDaemon(true);
        if (flusher != null) {
            flusher.setDaemon(true);
        }
    }

    /** Starts copying {@code [0, length)} of {@code in} into {@code out}; with {@code sync}, flushing it as it goes. */
    static AheadCopy start(FileChannel in, FileChannel out, long length, boolean sync) {
        AheadCopy c = new AheadCopy(in, out, length, sync);
        c.copier.start();
        if (c.flusher != null) {
            c.flusher.start();
        }
        return c;
    }

    private void copy() {
        try {
            for (long at = 0; at < length && !cancelled; at += CHUNK) {
                long n = Math.min(CHUNK, length - at);
                BlockRewriter.transfer(in, out, at, n, at);
                synchronized (this) {
                    copiedTo = at + n;
                    notifyAll();
                }
            }
        } catch (Throwable t) {
            copyFailure = t;
        }
        synchronized (this) {
            copyEnded = true;
            notifyAll();
        }
    }

    private void flush() {
        long flushed = 0;
        try {
            while (true) {
                long upTo;
                boolean last;
                synchronized (this) {
                    while (copiedTo == flushed && !copyEnded && !cancelled) {
                        wait();
                    }
                    if (cancelled || copyFailure != null) {
                        return;
                    }
                    upTo = copiedTo;
                    last = copyEnded;
                }
                if (upTo > flushed) {
                    out.force(false); // everything copied up to here, and whatever more has been since
                    flushed = upTo;
                }
                if (last) {
                    return;
                }
            }
        } catch (Throwable t) {
            flushFailure = t;
        }
    }

    /** Waits until {@code [0, length)} is copied and returns {@code length}; flushing may still be going on. */
    long awaitCopied() throws IOException {
        synchronized (this) {
            boolean interrupted = false;
            while (!copyEnded) {
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

    /** Waits for the copy and the flushes to end, and reports the first failure of either. */
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
        for (Thread t : new Thread[] {copier, flusher}) {
            while (t != null) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the copy after its current chunk, and the flushes after the current one; waits for both: {@code out} is the caller's again. */
    @Override
    public void close() throws InterruptedIOException {
        synchronized (this) {
            cancelled = true;
            notifyAll();
        }
        join();
    }
}
