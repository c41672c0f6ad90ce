package statelab.sst.format;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import org.xerial.snappy.Snappy;

/**
 * Raw Snappy streams of an exact length: a re-encoded block that compresses to exactly its old stored size keeps
 * the file's size and every block handle that points past it valid.
 *
 * <p>A Snappy stream is not unique. Its elements (format_description.txt in google/snappy) are literals — a tag
 * whose upper 6 bits hold length-1 when below 60, or 60..63 for 1..4 little-endian length bytes after it — and
 * copies: copy-1 (tag 01, 2 bytes, length 4..11, offset below 2048), copy-2 (tag 10, 3 bytes, length 1..64,
 * offset below 65536) and copy-4 (tag 11, 5 bytes, length 1..64). The starting point is the cheaper of two
 * parses, snappy-java's and {@link ShortParse}'s (which leaves room for a modified block that snappy would make a
 * little longer); each of its elements is then re-encoded, never overshooting, as a longer equivalent:
 * <ul>
 *   <li>a literal run of L bytes as 1..L literals whose headers take 1..5 bytes each (the long form for a short
 *       literal: the format fixes no minimal form, and snappy's C++ decoder, RocksDB's, reads any), every length
 *       from its own to 6L;</li>
 *   <li>a copy of L bytes (at most 64) at offset d as pieces in order, each a copy at the same offset d (copy-1 /
 *       copy-2 where d and the piece's length allow, copy-4 always) or a literal of the bytes it copies. The costs
 *       one copy can take are precomputed for every L and the three offset classes; just above its cheapest a
 *       copy may skip one value (copy-1 of 4 bytes: 2, 3, then 5), never two in a row, and the literals (there is
 *       always one: a stream starts with a literal) fill that byte in.</li>
 * </ul>
 * Copies are grown first, literals last, so every length from {@link #shortest} to {@link #longest} is reached.
 * Copy offsets never change and every piece starts at or after its copy's start, so each offset stays within the
 * bytes already produced; the stream decodes to the same bytes. The uncompressed-length preamble is always a
 * minimal varint: snappy reads padded ones, but nothing here needs them.
 */
public final class SnappyExact {
    static {
        SnappyNative.prepare(); // before Snappy loads its library
    }

    /** The longest copy element (copy-2's and copy-4's limit); longer matches are several copies. */
    private static final int MAX_COPY = 64;
    /** A piece costs at most 6 bytes per byte (a 1-byte literal with 4 length bytes). */
    private static final int BYTES_PER_BYTE_AT_MOST = 6;
    private static final int MAX_COPY_COST = BYTES_PER_BYTE_AT_MOST * MAX_COPY;
    private static final int MAX_LITERAL_HEADER = 5;
    private static final int SHORT_LITERAL = 60;

    /** Offset classes: copy-1 allowed, copy-2 allowed, copy-4 only. */
    private static final int NEAR = 0;
    private static final int MID = 1;
    private static final int FAR = 2;

    /** Piece forms; literal forms are LITERAL_1 + (header bytes - 1). */
    private static final int COPY_1 = 0;
    private static final int COPY_2 = 1;
    private static final int COPY_4 = 2;
    private static final int LITERAL_1 = 3;
    private static final int LITERAL_5 = LITERAL_1 + MAX_LITERAL_HEADER - 1;
    private static final int FORM_BITS = 3;
    private static final int FORM_MASK = (1 << FORM_BITS) - 1;

    /**
     * {@code LAST_PIECE[offsetClass][j][cost]}: how to cover the first j bytes of a copy in exactly {@code cost}
     * bytes — the last piece's length shifted by {@link #FORM_BITS}, or'ed with its form — or -1 when no
     * combination costs exactly that.
     */
    private static final int[][][] LAST_PIECE = new int[3][MAX_COPY + 1][MAX_COPY_COST + 1];
    /** {@code CHEAPEST[offsetClass][j]}: the least cost of the first j bytes of a copy. */
    private static final int[][] CHEAPEST = new int[3][MAX_COPY + 1];

    static {
        for (int offsetClass = NEAR; offsetClass <= FAR; offsetClass++) {
            fillCopyTables(offsetClass);
        }
    }

    /**
     * The costs each prefix of a copy can take, as bit sets built from shorter prefixes plus one piece (bit sets
     * keep this class's initialisation to milliseconds even before the JIT starts), then a last piece for each.
     */
    private static void fillCopyTables(int offsetClass) {
        int words = MAX_COPY_COST / Long.SIZE + 1;
        long[][] reachable = new long[MAX_COPY + 1][words];
        reachable[0][0] = 1;
        for (int j = 1; j <= MAX_COPY; j++) {
            for (int piece = 1; piece <= j; piece++) {
                for (int form = COPY_1; form <= LITERAL_5; form++) {
                    int pieceCost = pieceCost(offsetClass, piece, form);
                    if (pieceCost > 0) {
                        orShifted(reachable[j], reachable[j - piece], pieceCost);
                    }
                }
            }
        }
        int[][] last = LAST_PIECE[offsetClass];
        for (int j = 0; j <= MAX_COPY; j++) {
            Arrays.fill(last[j], -1);
            CHEAPEST[offsetClass][j] = -1;
            for (int cost = 0; cost <= MAX_COPY_COST; cost++) {
                if (!has(reachable[j], cost)) {
                    continue;
                }
                if (CHEAPEST[offsetClass][j] < 0) {
                    CHEAPEST[offsetClass][j] = cost;
                }
                last[j][cost] = j == 0 ? 0 : lastPiece(offsetClass, reachable, j, cost);
            }
        }
    }

    private static int lastPiece(int offsetClass, long[][] reachable, int j, int cost) {
        for (int piece = 1; piece <= j; piece++) {
            for (int form = COPY_1; form <= LITERAL_5; form++) {
                int pieceCost = pieceCost(offsetClass, piece, form);
                if (pieceCost > 0 && pieceCost <= cost && has(reachable[j - piece], cost - pieceCost)) {
                    return piece << FORM_BITS | form;
                }
            }
        }
        throw new IllegalStateException("cost " + cost + " marked reachable for " + j + " bytes without a last piece");
    }

    private static void orShifted(long[] into, long[] from, int shift) {
        int wordShift = shift / Long.SIZE;
        int bitShift = shift % Long.SIZE;
        for (int w = into.length - 1; w >= wordShift; w--) {
            long v = from[w - wordShift] << bitShift;
            if (bitShift != 0 && w - wordShift - 1 >= 0) {
                v |= from[w - wordShift - 1] >>> (Long.SIZE - bitShift);
            }
            into[w] |= v;
        }
    }

    private static boolean has(long[] bits, int i) {
        return (bits[i / Long.SIZE] >>> (i % Long.SIZE) & 1) != 0;
    }

    private SnappyExact() {}

    /**
     * A valid raw Snappy stream of {@code contents[offset, offset + length)} that is exactly {@code target} bytes
     * long. Each call parses the input afresh: a few milliseconds for a 4 KiB block once the JIT has compiled
     * this class, a few tens on the first call.
     *
     * @throws BadTable when {@code target} is below {@link #shortest} or above {@link #longest}, saying which and
     *     by how many bytes
     */
    public static byte[] encode(byte[] contents, int offset, int length, int target) {
        Elements elements = Elements.of(contents, offset, length);
        long shortest = elements.shortest();
        if (target < shortest) {
            throw new BadTable(String.format("%d bytes compress to at least %d bytes with Snappy, %d more than the %d"
                    + " they must fit", length, shortest, shortest - target, target));
        }
        int longest = longest(length);
        if (target > longest) {
            throw new BadTable(String.format("%d bytes make a Snappy stream of at most %d bytes (every byte a literal"
                    + " with 4 length bytes), %d fewer than the %d it must fill", length, longest, target - longest, target));
        }
        elements.grow(target - shortest);
        Output out = new Output(target);
        out.varint(length);
        elements.writeTo(out, contents, offset);
        if (out.at != target) {
            throw new IllegalStateException("Snappy stream came out " + out.at + " bytes, not " + target);
        }
        return out.bytes;
    }

    /** The shortest stream {@link #encode} can make of {@code contents[offset, offset + length)}. */
    public static int shortest(byte[] contents, int offset, int length) {
        return Math.toIntExact(Elements.of(contents, offset, length).shortest());
    }

    /**
     * The longest valid stream of {@code length} input bytes: the preamble, then every byte a literal of its own
     * with a 5-byte header (no element spends more per byte). Integer.MAX_VALUE when that does not fit an int.
     */
    public static int longest(int length) {
        return (int) Math.min(Integer.MAX_VALUE, varintSize(length) + (long) BYTES_PER_BYTE_AT_MOST * length);
    }

    /** Bytes of one piece of a copy, or 0 when the form cannot carry it. */
    private static int pieceCost(int offsetClass, int piece, int form) {
        return switch (form) {
            case COPY_1 -> offsetClass == NEAR && piece >= 4 && piece <= 11 ? 2 : 0;
            case COPY_2 -> offsetClass <= MID ? 3 : 0;
            case COPY_4 -> 5;
            default -> {
                int header = form - LITERAL_1 + 1;
                yield header >= literalHeader(piece) ? piece + header : 0;
            }
        };
    }

    /** The least cost of a copy of {@code n} bytes, as copies of at most {@link #MAX_COPY} bytes each. */
    private static int copyCost(int offsetClass, int n) {
        return n / MAX_COPY * CHEAPEST[offsetClass][MAX_COPY] + CHEAPEST[offsetClass][n % MAX_COPY];
    }

    private static int offsetClass(int distance) {
        return distance < 2048 ? NEAR : distance < 65536 ? MID : FAR;
    }

    /** The shortest header of a literal of {@code length} bytes. */
    private static int literalHeader(long length) {
        long lengthMinusOne = length - 1;
        if (lengthMinusOne < SHORT_LITERAL) {
            return 1;
        }
        int extra = 1;
        while (lengthMinusOne >>> (8 * extra) != 0) {
            extra++;
        }
        return 1 + extra;
    }

    private static int varintSize(int value) {
        int size = 1;
        for (long v = value & 0xffffffffL; v >= 0x80; v >>>= 7) {
            size++;
        }
        return size;
    }

    /**
     * A parse of the input as elements (adjacent literals merged), then the cost each is to take. Parallel arrays:
     * a copy has a distance above 0, a literal 0; {@code cost} is the element's bytes for a copy and its header
     * bytes in total for a literal run.
     */
    private static final class Elements {
        private int count;
        private int[] start = new int[16];
        private int[] length = new int[16];
        private int[] distance = new int[16];
        private int[] cost = new int[16];
        private final int preamble;

        private Elements(int preamble) {
            this.preamble = preamble;
        }

        /**
         * The cheaper of snappy-java's parse and, up to {@link ShortParse#LIMIT} bytes, {@link ShortParse}'s
         * (snappy-java's wins only on incompressible input, by a byte or two).
         */
        static Elements of(byte[] contents, int offset, int length) {
            Objects.checkFromIndexSize(offset, length, contents.length);
            Elements snappyJava = fromSnappyJava(contents, offset, length);
            if (length > ShortParse.LIMIT) {
                return snappyJava;
            }
            Elements own = new Elements(varintSize(length));
            ShortParse.into(own, contents, offset, length);
            return own.shortest() < snappyJava.shortest() ? own : snappyJava;
        }

        private static Elements fromSnappyJava(byte[] contents, int offset, int length) {
            byte[] compressed = new byte[Snappy.maxCompressedLength(length)];
            int size;
            try {
                size = Snappy.compress(contents, offset, length, compressed, 0);
            } catch (IOException e) {
                throw new BadTable("Snappy failed: " + e.getMessage());
            }
            Elements elements = new Elements(varintSize(length));
            elements.parse(compressed, size, length);
            return elements;
        }

        /** Reads the elements of snappy-java's stream {@code in[0, size)}. */
        private void parse(byte[] in, int size, int expectedLength) {
            int at = preamble;
            int produced = 0;
            while (at < size) {
                int tag = in[at++] & 0xff;
                int n;
                int d = 0;
                switch (tag & 3) {
                    case 0 -> {
                        int code = tag >>> 2;
                        if (code < SHORT_LITERAL) {
                            n = code + 1;
                        } else {
                            int lengthBytes = code - SHORT_LITERAL + 1;
                            n = (int) (littleEndian(in, at, lengthBytes) + 1);
                            at += lengthBytes;
                        }
                        at += n;
                    }
                    case 1 -> {
                        n = 4 + ((tag >>> 2) & 7);
                        d = (tag >>> 5) << 8 | (in[at++] & 0xff);
                    }
                    case 2 -> {
                        n = (tag >>> 2) + 1;
                        d = (int) littleEndian(in, at, 2);
                        at += 2;
                    }
                    default -> {
                        n = (tag >>> 2) + 1;
                        d = (int) littleEndian(in, at, 4);
                        at += 4;
                    }
                }
                add(produced, n, d);
                produced += n;
            }
            if (produced != expectedLength || at != size) {
                throw new IllegalStateException("snappy-java's stream decodes to " + produced + " bytes, not " + expectedLength);
            }
        }

        private static long littleEndian(byte[] in, int at, int bytes) {
            long v = 0;
            for (int i = bytes - 1; i >= 0; i--) {
                v = v << 8 | (in[at + i] & 0xff);
            }
            return v;
        }

        /** A copy of any length, as copies of at most {@link #MAX_COPY} bytes. */
        void addCopy(int at, int n, int d) {
            for (int done = 0; done < n; done += MAX_COPY) {
                add(at + done, Math.min(MAX_COPY, n - done), d);
            }
        }

        void add(int at, int n, int d) {
            if (d == 0 && count > 0 && distance[count - 1] == 0) {
                length[count - 1] += n;
                cost[count - 1] = literalHeader(length[count - 1]);
                return;
            }
            if (count == start.length) {
                int grown = count * 2;
                start = Arrays.copyOf(start, grown);
                length = Arrays.copyOf(length, grown);
                distance = Arrays.copyOf(distance, grown);
                cost = Arrays.copyOf(cost, grown);
            }
            start[count] = at;
            length[count] = n;
            distance[count] = d;
            cost[count] = d == 0 ? literalHeader(n) : CHEAPEST[offsetClass(d)][n];
            count++;
        }

        /** The preamble plus every element at its cheapest, which is what {@link #add} set. */
        long shortest() {
            long total = preamble;
            for (int i = 0; i < count; i++) {
                total += cost[i] + (distance[i] == 0 ? length[i] : 0);
            }
            return total;
        }

        /**
         * Adds exactly {@code extra} bytes: copies first, each to the dearest cost it can take within what is left
         * (a copy cannot take every value, see the class comment), then literal headers, which can.
         */
        void grow(long extra) {
            long left = extra;
            for (int i = 0; i < count && left > 0; i++) {
                if (distance[i] == 0) {
                    continue;
                }
                int[][] last = LAST_PIECE[offsetClass(distance[i])];
                int wanted = (int) Math.min(cost[i] + left, (long) BYTES_PER_BYTE_AT_MOST * length[i]);
                while (last[length[i]][wanted] < 0) {
                    wanted--;
                }
                left -= wanted - cost[i];
                cost[i] = wanted;
            }
            for (int i = 0; i < count && left > 0; i++) {
                if (distance[i] != 0) {
                    continue;
                }
                long room = (long) MAX_LITERAL_HEADER * length[i] - cost[i];
                int more = (int) Math.min(room, left);
                cost[i] += more;
                left -= more;
            }
            if (left != 0) {
                throw new IllegalStateException(left + " bytes could not be placed; the copy cost tables promise otherwise");
            }
        }

        void writeTo(Output out, byte[] contents, int offset) {
            int[] pieces = new int[MAX_COPY];
            for (int i = 0; i < count; i++) {
                int from = offset + start[i];
                if (distance[i] == 0) {
                    writeLiteralRun(out, contents, from, length[i], cost[i]);
                    continue;
                }
                int offsetClass = offsetClass(distance[i]);
                int n = 0;
                for (int j = length[i], c = cost[i]; j > 0; ) {
                    int piece = LAST_PIECE[offsetClass][j][c];
                    pieces[n++] = piece;
                    j -= piece >>> FORM_BITS;
                    c -= pieceCost(offsetClass, piece >>> FORM_BITS, piece & FORM_MASK);
                }
                for (int k = n - 1; k >= 0; k--) {
                    int pieceLength = pieces[k] >>> FORM_BITS;
                    int form = pieces[k] & FORM_MASK;
                    if (form >= LITERAL_1) {
                        out.literal(contents, from, pieceLength, form - LITERAL_1 + 1);
                    } else {
                        out.copy(form, pieceLength, distance[i]);
                    }
                    from += pieceLength;
                }
            }
        }

        /**
         * A run of {@code n} literal bytes whose headers take {@code headers} bytes in all: k - 1 one-byte literals
         * and one of the rest, k the fewest literals whose headers can reach that many bytes (5 each at most).
         */
        private static void writeLiteralRun(Output out, byte[] contents, int from, int n, int headers) {
            int literals = (headers + MAX_LITERAL_HEADER - 1) / MAX_LITERAL_HEADER;
            int restLength = n - (literals - 1);
            int restHeader = literalHeader(restLength);
            int spare = headers - (literals - 1) - restHeader;
            int grownRest = Math.min(spare, MAX_LITERAL_HEADER - restHeader);
            out.literal(contents, from, restLength, restHeader + grownRest);
            spare -= grownRest;
            for (int k = 1; k < literals; k++) {
                int grown = Math.min(spare, MAX_LITERAL_HEADER - 1);
                out.literal(contents, from + restLength + k - 1, 1, 1 + grown);
                spare -= grown;
            }
        }
    }

    /**
     * A parse of its own, shorter than snappy-java's: by 2..6% on the data blocks of Flink-like tables written by
     * RocksDB (incompressible 1..8-byte values), 15..18% on blocks with compressible values, 20..35% on text.
     * snappy keeps one candidate per hash, takes the first match greedily and skips ahead in stretches that do not
     * compress. Snappy versions also differ: on 266 data blocks written by rocksdbjni 10.10.1, snappy-java
     * 1.1.10.7's stream of the same contents was longer than the stored one for 148, by up to 26 bytes, so even an
     * unchanged block could not always be put back at its own length. This parse makes room for that and for a
     * modified block that snappy would make a little longer.
     *
     * <p>Per 64 KiB fragment (as snappy), dynamic programming over positions finds the cheapest way to reach each
     * one, arriving by a copy or by a literal byte (a new literal run pays one header byte). Copies come from hash
     * chains over 4-byte prefixes, nearest first, at any earlier offset (a copy-4 reaches into earlier fragments);
     * every length from 4 up to the longest match is offered at its cheapest cost. Two approximations keep it
     * linear: literal runs beyond 60 bytes are costed as if their header stayed one byte, and a match of
     * {@link #LONG_MATCH} bytes or more is taken whole, with no search inside it. The exact cost of the result is
     * counted afterwards like that of any other parse.
     *
     * <p>Cost: about {@link #CANDIDATES} chain candidates per input in all (1024 per position for a 4 KiB block, 4
     * per position from 1 MiB): a 4 KiB block takes a millisecond or two, 1 MiB 0.15..0.4 s (measured on a busy
     * 2-core build machine). Inputs above {@link #LIMIT} (never a data block of the usual few KiB block_size; an
     * index block or one huge value) keep snappy-java's parse.
     */
    private static final class ShortParse {
        static final int LIMIT = 1 << 20;
        private static final int FRAGMENT = 1 << 16;
        private static final int MIN_MATCH = 4;
        private static final int CANDIDATES = 1 << 22;
        private static final int MIN_DEPTH = 4;
        private static final int MAX_DEPTH = 1024;
        private static final int LONG_MATCH = MAX_COPY;
        private static final int UNREACHED = Integer.MAX_VALUE / 2;
        private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
        private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

        private final byte[] b;
        private final int offset;
        private final int n;
        private final int hashBits;
        private final int chainDepth;
        private final int[] head;
        private final int[] chain;
        /** Per fragment position: cheapest cost to get there by a copy (or the fragment's start), by a literal. */
        private final int[] viaCopy;
        private final int[] viaLiteral;
        /** The copy that gives {@link #viaCopy}. */
        private final int[] copyLength;
        private final int[] copyDistance;
        /** The elements of one fragment, found backwards. */
        private final int[] foundLength;
        private final int[] foundDistance;

        private ShortParse(byte[] b, int offset, int n) {
            this.b = b;
            this.offset = offset;
            this.n = n;
            hashBits = Math.max(8, Math.min(20, 33 - Integer.numberOfLeadingZeros(n)));
            head = new int[1 << hashBits];
            Arrays.fill(head, -1);
            chainDepth = Math.max(MIN_DEPTH, Math.min(MAX_DEPTH, CANDIDATES / Math.max(1, n)));
            chain = new int[n];
            int positions = Math.min(n, FRAGMENT) + 1;
            viaCopy = new int[positions];
            viaLiteral = new int[positions];
            copyLength = new int[positions];
            copyDistance = new int[positions];
            foundLength = new int[positions];
            foundDistance = new int[positions];
        }

        static void into(Elements out, byte[] b, int offset, int n) {
            ShortParse parse = new ShortParse(b, offset, n);
            for (int start = 0; start < n; start += FRAGMENT) {
                int end = Math.min(n, start + FRAGMENT);
                parse.fragment(start, end);
                parse.emit(out, start, end);
            }
        }

        private void fragment(int start, int end) {
            int size = end - start;
            Arrays.fill(viaCopy, 0, size + 1, UNREACHED);
            Arrays.fill(viaLiteral, 0, size + 1, UNREACHED);
            viaCopy[0] = 0;
            int searchFrom = start;
            for (int i = start; i < end; i++) {
                int r = i - start;
                int here = Math.min(viaCopy[r], viaLiteral[r]);
                viaLiteral[r + 1] = Math.min(viaLiteral[r], viaCopy[r] + 1) + 1;
                if (i + MIN_MATCH > n) {
                    continue;
                }
                int hash = (int) INTS.get(b, offset + i) * 0x1e35a7bd >>> (32 - hashBits);
                if (i >= searchFrom && end - i >= MIN_MATCH) {
                    int longest = searchMatches(i, r, here, end - i, hash);
                    if (longest >= LONG_MATCH) {
                        searchFrom = i + longest;
                    }
                }
                chain[i] = head[hash];
                head[hash] = i;
            }
        }

        /** Offers every copy from {@code i} that the chain yields; returns the longest match length found. */
        private int searchMatches(int i, int r, int here, int limit, int hash) {
            int best = MIN_MATCH - 1;
            int candidate = head[hash];
            for (int depth = 0; candidate >= 0 && depth < chainDepth; depth++, candidate = chain[candidate]) {
                if (b[offset + candidate + best] != b[offset + i + best]) {
                    continue; // cannot be longer than the best so far
                }
                int m = matchLength(offset + candidate, offset + i, limit);
                if (m <= best) {
                    continue;
                }
                int d = i - candidate;
                int offsetClass = offsetClass(d);
                for (int len = best + 1; len <= Math.min(m, LONG_MATCH); len++) {
                    offer(r + len, here + copyCost(offsetClass, len), len, d);
                }
                if (m > LONG_MATCH) {
                    offer(r + m, here + copyCost(offsetClass, m), m, d);
                }
                best = m;
                if (m == limit || m >= LONG_MATCH) {
                    break;
                }
            }
            return best;
        }

        private void offer(int r, int cost, int len, int d) {
            if (cost < viaCopy[r]) {
                viaCopy[r] = cost;
                copyLength[r] = len;
                copyDistance[r] = d;
            }
        }

        private int matchLength(int earlier, int at, int limit) {
            int m = 0;
            while (m + Long.BYTES <= limit) {
                long diff = (long) LONGS.get(b, earlier + m) ^ (long) LONGS.get(b, at + m);
                if (diff != 0) {
                    return m + Long.numberOfTrailingZeros(diff) / 8;
                }
                m += Long.BYTES;
            }
            while (m < limit && b[earlier + m] == b[at + m]) {
                m++;
            }
            return m;
        }

        /** Walks the cheapest path back from the fragment's end and adds its elements in order. */
        private void emit(Elements out, int start, int end) {
            int found = 0;
            int r = end - start;
            boolean literal = viaLiteral[r] < viaCopy[r];
            while (r > 0) {
                if (literal) {
                    int run = r;
                    while (r > 1 && viaLiteral[r] == viaLiteral[r - 1] + 1) {
                        r--;
                    }
                    r--;
                    foundLength[found] = run - r;
                    foundDistance[found++] = 0;
                    literal = false;
                } else {
                    foundLength[found] = copyLength[r];
                    foundDistance[found++] = copyDistance[r];
                    r -= copyLength[r];
                    literal = viaLiteral[r] < viaCopy[r];
                }
            }
            int at = start;
            for (int k = found - 1; k >= 0; k--) {
                if (foundDistance[k] == 0) {
                    out.add(at, foundLength[k], 0);
                } else {
                    out.addCopy(at, foundLength[k], foundDistance[k]);
                }
                at += foundLength[k];
            }
        }
    }

    /** The stream being written, sized to the target up front. */
    private static final class Output {
        final byte[] bytes;
        int at;

        Output(int size) {
            bytes = new byte[size];
        }

        void varint(int value) {
            long v = value & 0xffffffffL;
            while (v >= 0x80) {
                bytes[at++] = (byte) (v | 0x80);
                v >>>= 7;
            }
            bytes[at++] = (byte) v;
        }

        void literal(byte[] contents, int from, int n, int header) {
            if (header == 1) {
                bytes[at++] = (byte) ((n - 1) << 2);
            } else {
                int lengthBytes = header - 1;
                bytes[at++] = (byte) ((SHORT_LITERAL + lengthBytes - 1) << 2);
                littleEndian(n - 1, lengthBytes);
            }
            System.arraycopy(contents, from, bytes, at, n);
            at += n;
        }

        void copy(int form, int n, int distance) {
            switch (form) {
                case COPY_1 -> {
                    bytes[at++] = (byte) (1 | (n - 4) << 2 | (distance >>> 8) << 5);
                    bytes[at++] = (byte) distance;
                }
                case COPY_2 -> {
                    bytes[at++] = (byte) (2 | (n - 1) << 2);
                    littleEndian(distance, 2);
                }
                default -> {
                    bytes[at++] = (byte) (3 | (n - 1) << 2);
                    littleEndian(distance, 4);
                }
            }
        }

        private void littleEndian(long value, int n) {
            for (int i = 0; i < n; i++) {
                bytes[at++] = (byte) (value >>> (8 * i));
            }
        }
    }
}
