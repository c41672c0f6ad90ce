package statelab.sst.format;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.Objects;
import org.xerial.snappy.Snappy;

/**
 * Raw Snappy streams (no size prefix, as RocksDB stores them) decoded and encoded in memory that does not grow
 * with the stream: a table's index block can be tens of MB, and rewriting it must not hold it whole.
 *
 * <p>The format (format_description.txt in google/snappy): a varint32 of the uncompressed length, then elements —
 * literals (tag 00; length-1 in the upper 6 bits below 60, else 1..4 little-endian length bytes after the tag) and
 * copies of earlier output: copy-1 (tag 01, length 4..11, offset below 2048), copy-2 (tag 10, length 1..64, 16-bit
 * offset) and copy-4 (tag 11, length 1..64, 32-bit offset). Snappy's compressor works on 64 KiB fragments and
 * its copies never leave one, so a stream is any concatenation of fragment bodies behind one preamble: that is
 * how {@link Encoder} streams, and why {@link Decoder} needs only a bounded window of history.
 */
public final class SnappyStream {
    static {
        SnappyNative.prepare(); // before Snappy loads its library
    }

    /** The input unit of Snappy's compressor: its copies reach at most this far back, minus one. */
    public static final int FRAGMENT = 1 << 16;
    /**
     * The decoder's default history. Larger than a fragment because {@link SnappyExact}'s own parse (inputs up to
     * 1 MiB) may emit copy-4 elements that reach into earlier fragments.
     */
    public static final int DEFAULT_WINDOW = 1 << 20;
    /** The decoder's default read size for compressed bytes. */
    public static final int DEFAULT_CHUNK = 256 << 10;
    /** The longest copy element. */
    private static final int MAX_COPY = 64;
    /** A varint32 takes at most 5 bytes; so does a literal or copy tag with its extra bytes. */
    private static final int MAX_VARINT32 = 5;
    private static final int MAX_ELEMENT_HEADER = 5;
    /** Copies move 8 bytes at a time and may write up to 7 bytes past their end. */
    private static final int COPY_SLACK = 8;
    private static final int MIN_CHUNK = 4096;
    /** Keeps window plus batch within an array's reach. */
    private static final int MAX_WINDOW = 1 << 28;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private SnappyStream() {}

    /**
     * The uncompressed length declared by the stream at {@code [offset, offset + length)} of {@code ch}.
     *
     * @throws BadTable when the preamble is not a varint32 within the range
     */
    public static long uncompressedLength(FileChannel ch, long offset, long length) throws IOException {
        byte[] head = new byte[(int) Math.min(MAX_VARINT32, Math.max(0, length))];
        TableFooter.readFully(ch, ByteBuffer.wrap(head), offset);
        return preamble(head, head.length, offset)[0];
    }

    /** {value, bytes} of the varint32 at {@code b[0, available)}. */
    private static long[] preamble(byte[] b, int available, long streamOffset) {
        long value = 0;
        for (int i = 0; i < MAX_VARINT32; i++) {
            if (i == available) {
                throw new BadTable(where(streamOffset) + "ends inside its length preamble (" + available + " bytes)");
            }
            int v = b[i] & 0xff;
            value |= (long) (v & 0x7f) << (7 * i);
            if (v < 0x80) {
                if (value > 0xffffffffL) {
                    throw new BadTable(where(streamOffset) + "declares " + value + " bytes, more than a varint32 holds");
                }
                return new long[] {value, i + 1};
            }
        }
        throw new BadTable(where(streamOffset) + "has a length preamble longer than 5 bytes");
    }

    private static String where(long streamOffset) {
        return "Snappy stream at offset " + streamOffset + " ";
    }

    /**
     * The uncompressed bytes of a raw Snappy stream that lies at {@code [offset, offset + length)} of a file, read
     * in chunks and handed out as an {@link InputStream}. Memory: one chunk of compressed bytes and
     * {@code window + max(window, chunk)} bytes of output (less for a shorter stream), of which the last
     * {@code window} are the history that copies may reach into (copies reaching further are refused, whatever is
     * still in memory, so that a stream decodes or fails the same way at every chunk size).
     *
     * <p>Every malformation is a {@link BadTable} with one line, thrown from {@code read} when the decoder gets
     * there: a truncated stream, a copy with offset 0, before the stream's start or beyond the window, output
     * longer or shorter than declared, bytes after the last element. A caller that stops reading early has checked
     * only what it read. {@link #close} does not close the channel, which the caller owns.
     */
    public static final class Decoder extends InputStream {
        private final FileChannel ch;
        private final long streamOffset;
        private long filePos;
        private final long fileEnd;
        private final byte[] in;
        private int ip;
        private int ipLimit;

        private final int window;
        /** Output: history, then what is decoded and not yet read; {@code outLimit} plus copy slack long. */
        private final byte[] out;
        private final int outLimit;
        private int readPos;
        private int outPos;
        /** Stream bytes produced before {@code out[0]}. */
        private long outBase;
        private final long expected;
        /** Bytes of the current literal still to copy. */
        private long pendingLiteral;
        private boolean ended;

        public Decoder(FileChannel ch, long offset, long length) throws IOException {
            this(ch, offset, length, DEFAULT_WINDOW, DEFAULT_CHUNK);
        }

        /**
         * @param window the farthest a copy may reach back (at least {@link #FRAGMENT} for streams of Snappy's
         *     own compressor)
         * @param chunk how many compressed bytes to read at a time (at least 4096)
         */
        public Decoder(FileChannel ch, long offset, long length, int window, int chunk) throws IOException {
            if (window < 1 || window > MAX_WINDOW || chunk < MIN_CHUNK || chunk > MAX_WINDOW || offset < 0 || length < 0) {
                throw new IllegalArgumentException("window " + window + ", chunk " + chunk + " (" + MIN_CHUNK + ".."
                        + MAX_WINDOW + " each), offset " + offset + ", length " + length);
            }
            this.ch = ch;
            this.streamOffset = offset;
            this.filePos = offset;
            this.fileEnd = offset + length;
            this.in = new byte[(int) Math.max(2 * MAX_ELEMENT_HEADER, Math.min(chunk, length))];
            this.window = window;
            refill();
            long[] p = preamble(in, ipLimit, offset);
            expected = p[0];
            ip = (int) p[1];
            // A stream shorter than the buffer gets a buffer of its size (plus a copy's room, so that decoding
            // never pauses before its end): small blocks stay cheap.
            this.outLimit = (int) Math.min(window + (long) Math.max(window, chunk), expected + MAX_COPY);
            this.out = new byte[outLimit + COPY_SLACK];
        }

        /** The length the stream declares, which {@code read} holds it to. */
        public long uncompressedLength() {
            return expected;
        }

        /** Uncompressed bytes handed out so far. */
        public long position() {
            return outBase + readPos;
        }

        @Override
        public int read() throws IOException {
            if (readPos == outPos && !fill()) {
                return -1;
            }
            return out[readPos++] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            if (readPos == outPos && !fill()) {
                return -1;
            }
            int n = Math.min(len, outPos - readPos);
            System.arraycopy(out, readPos, b, off, n);
            readPos += n;
            return n;
        }

        @Override
        public int available() {
            return outPos - readPos;
        }

        /** Reads more compressed bytes behind the unread ones; false when the range is exhausted. */
        private boolean refill() throws IOException {
            if (filePos == fileEnd) {
                return false;
            }
            int keep = ipLimit - ip;
            System.arraycopy(in, ip, in, 0, keep);
            int n = (int) Math.min(in.length - keep, fileEnd - filePos);
            TableFooter.readFully(ch, ByteBuffer.wrap(in, keep, n), filePos);
            filePos += n;
            ip = 0;
            ipLimit = keep + n;
            return true;
        }

        /**
         * Decodes until the output is full or the stream ends, after keeping only the last {@code window} bytes of
         * history; false when there is nothing more.
         */
        private boolean fill() throws IOException {
            if (ended) {
                return false;
            }
            if (outPos > window) {
                int drop = outPos - window;
                System.arraycopy(out, drop, out, 0, window);
                outBase += drop;
                outPos = window;
                readPos = window;
            }
            decode();
            return outPos > readPos;
        }

        private void decode() throws IOException {
            final byte[] in = this.in;
            final byte[] out = this.out;
            int op = outPos;
            while (true) {
                if (pendingLiteral > 0) {
                    int n = (int) Math.min(pendingLiteral, Math.min(outLimit - op, ipLimit - ip));
                    if (n == 0) {
                        if (op == outLimit) {
                            break;
                        }
                        if (!refill()) {
                            throw truncated(op);
                        }
                        continue;
                    }
                    System.arraycopy(in, ip, out, op, n);
                    ip += n;
                    op += n;
                    pendingLiteral -= n;
                    continue;
                }
                if (outBase + op == expected) {
                    if (ip < ipLimit || filePos < fileEnd) {
                        throw new BadTable(where(streamOffset) + "has " + (ipLimit - ip + fileEnd - filePos)
                                + " bytes after the " + expected + " it declares are complete");
                    }
                    ended = true;
                    break;
                }
                if (op > outLimit - MAX_COPY) {
                    break;
                }
                if (ipLimit - ip < MAX_ELEMENT_HEADER) {
                    refill();
                    if (ip == ipLimit) {
                        throw truncated(op);
                    }
                }
                int tag = in[ip++] & 0xff;
                int kind = tag & 3;
                if (kind == 0) {
                    int code = tag >>> 2;
                    long len;
                    if (code < 60) {
                        len = code + 1;
                    } else {
                        int lengthBytes = code - 59;
                        need(lengthBytes, op);
                        len = littleEndian(in, ip, lengthBytes) + 1;
                        ip += lengthBytes;
                    }
                    checkLength(op, len);
                    pendingLiteral = len;
                    continue;
                }
                int len;
                long offset;
                if (kind == 1) {
                    need(1, op);
                    len = 4 + ((tag >>> 2) & 7);
                    offset = (tag >>> 5) << 8 | (in[ip++] & 0xff);
                } else if (kind == 2) {
                    need(2, op);
                    len = (tag >>> 2) + 1;
                    offset = (in[ip] & 0xff) | (in[ip + 1] & 0xff) << 8;
                    ip += 2;
                } else {
                    need(4, op);
                    len = (tag >>> 2) + 1;
                    offset = littleEndian(in, ip, 4);
                    ip += 4;
                }
                if (offset == 0 || offset > op || offset > window) {
                    throw badCopy(op, offset);
                }
                checkLength(op, len);
                int from = op - (int) offset;
                if (offset >= Long.BYTES) {
                    // Each 8-byte read ends at or before the write position, so an overlapping copy still reads
                    // only bytes already produced; the last write may spill into the slack, which later output
                    // overwrites.
                    for (int i = 0; i < len; i += Long.BYTES) {
                        LONGS.set(out, op + i, (long) LONGS.get(out, from + i));
                    }
                } else {
                    for (int i = 0; i < len; i++) {
                        out[op + i] = out[from + i];
                    }
                }
                op += len;
            }
            outPos = op;
        }

        private void need(int bytes, int op) {
            if (ipLimit - ip < bytes) {
                throw truncated(op);
            }
        }

        private void checkLength(int op, long len) {
            if (outBase + op + len > expected) {
                throw new BadTable(where(streamOffset) + "produces more than the " + expected + " bytes it declares (an "
                        + len + "-byte element at output byte " + (outBase + op) + ")");
            }
        }

        private BadTable truncated(int op) {
            return new BadTable(where(streamOffset) + "of " + (fileEnd - streamOffset) + " bytes ends after "
                    + (outBase + op) + " of the " + expected + " bytes it declares");
        }

        private BadTable badCopy(int op, long offset) {
            long at = outBase + op;
            String why = offset == 0 ? "with offset 0"
                    : offset > at ? "that reaches " + offset + " bytes back, before the stream's start"
                    : "that reaches " + offset + " bytes back, beyond the " + window + "-byte window";
            return new BadTable(where(streamOffset) + "has a copy at output byte " + at + " " + why);
        }

        private static long littleEndian(byte[] b, int at, int bytes) {
            long v = 0;
            for (int i = bytes - 1; i >= 0; i--) {
                v = v << 8 | (b[at + i] & 0xff);
            }
            return v;
        }
    }

    /**
     * Compresses a byte stream of a length known up front into a raw Snappy stream, 64 KiB at a time: the preamble
     * goes to the sink at once, then each full fragment's elements (snappy-java's output without its own preamble)
     * as soon as it is complete, and the last fragment when the declared length is reached. Fragments start at
     * multiples of 64 KiB of the input, as in Snappy's own compressor, so the output is byte for byte
     * {@code Snappy.compress} of the whole input. Memory: one fragment and its compressed form.
     *
     * <p>Writing past the declared length, or closing short of it, is an {@link IllegalStateException}. Closing
     * does not close the sink.
     */
    public static final class Encoder extends OutputStream {
        static {
            SnappyNative.prepare(); // before Snappy loads its library
        }

        /** Where compressed bytes go; a lambda that writes a file and updates a {@link BlockChecksum}, say. */
        @FunctionalInterface
        public interface Sink {
            void write(byte[] b, int off, int len) throws IOException;
        }

        private final Sink sink;
        private final long total;
        private long written;
        private long compressed;
        private final byte[] fragment;
        private int buffered;
        private final byte[] scratch = new byte[Snappy.maxCompressedLength(FRAGMENT)];
        private final byte[] one = new byte[1];

        /** Writes the preamble declaring {@code uncompressedLength} (0..2^32-1) to {@code sink}. */
        public Encoder(long uncompressedLength, Sink sink) throws IOException {
            if (uncompressedLength < 0 || uncompressedLength > 0xffffffffL) {
                throw new IllegalArgumentException("a Snappy stream holds 0.." + 0xffffffffL + " bytes, not " + uncompressedLength);
            }
            this.sink = sink;
            this.total = uncompressedLength;
            this.fragment = new byte[(int) Math.min(FRAGMENT, uncompressedLength)];
            int n = 0;
            long v = uncompressedLength;
            while (v >= 0x80) {
                scratch[n++] = (byte) (v | 0x80);
                v >>>= 7;
            }
            scratch[n++] = (byte) v;
            emit(scratch, 0, n);
        }

        /** Compressed bytes given to the sink so far, preamble included. */
        public long compressedLength() {
            return compressed;
        }

        @Override
        public void write(int b) throws IOException {
            one[0] = (byte) b;
            write(one, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            Objects.checkFromIndexSize(off, len, b.length);
            if (len > total - written) {
                throw new IllegalStateException("Snappy stream declared " + total + " bytes; writing " + len + " more after "
                        + written + " exceeds it");
            }
            written += len;
            while (len > 0) {
                if (buffered == 0 && len >= FRAGMENT) {
                    compress(b, off, FRAGMENT);
                    off += FRAGMENT;
                    len -= FRAGMENT;
                    continue;
                }
                int n = Math.min(len, FRAGMENT - buffered);
                System.arraycopy(b, off, fragment, buffered, n);
                buffered += n;
                off += n;
                len -= n;
                if (buffered == FRAGMENT) {
                    compress(fragment, 0, FRAGMENT);
                    buffered = 0;
                }
            }
            if (written == total && buffered > 0) {
                compress(fragment, 0, buffered);
                buffered = 0;
            }
        }

        /** Checks that the declared length was written; everything is already in the sink. */
        @Override
        public void close() {
            if (written != total) {
                throw new IllegalStateException("Snappy stream declared " + total + " bytes but got " + written);
            }
        }

        private void compress(byte[] b, int off, int len) throws IOException {
            int size = Snappy.compress(b, off, len, scratch, 0);
            int preamble = 0;
            while ((scratch[preamble++] & 0x80) != 0) {
                // skip the fragment's own length varint: the stream's preamble covers all fragments
            }
            emit(scratch, preamble, size - preamble);
        }

        private void emit(byte[] b, int off, int len) throws IOException {
            sink.write(b, off, len);
            compressed += len;
        }
    }
}
