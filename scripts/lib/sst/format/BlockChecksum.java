package statelab.sst.format;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * A block's trailer checksum computed as its contents stream past, so that a block of tens of MB (a big table's
 * index) is never held whole: {@link #update} with the contents, then {@link #finish} with the compression type
 * byte gives exactly what {@link StoredBlock#checksum} gives for the whole block. One instance per block;
 * {@code finish} ends it.
 *
 * <p>zero-allocation-hashing, which {@link StoredBlock} uses, hashes only whole arrays, so the two xxHash
 * variants are here in streaming form ({@link Xxh64}, {@link Xxh3}), written from the xxHash specification
 * (Cyan4973/xxHash, xxhash.h) with seed 0 and XXH3's default secret.
 */
public abstract class BlockChecksum {
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle INTS = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private static final long PRIME32_1 = 0x9E3779B1L;
    private static final long PRIME32_2 = 0x85EBCA77L;
    private static final long PRIME32_3 = 0xC2B2AE3DL;
    private static final long PRIME64_1 = 0x9E3779B185EBCA87L;
    private static final long PRIME64_2 = 0xC2B2AE3D27D4EB4FL;
    private static final long PRIME64_3 = 0x165667B19E3779F9L;
    private static final long PRIME64_4 = 0x85EBCA77C2B2AE63L;
    private static final long PRIME64_5 = 0x27D4EB2F165667C5L;

    private static long long64(byte[] b, int at) {
        return (long) LONGS.get(b, at);
    }

    private static long uint32(byte[] b, int at) {
        return (int) INTS.get(b, at) & 0xffffffffL;
    }

    /** XXH64's final mix, which XXH3 reuses for its shortest inputs. */
    private static long xxh64Avalanche(long h) {
        h ^= h >>> 33;
        h *= PRIME64_2;
        h ^= h >>> 29;
        h *= PRIME64_3;
        return h ^ (h >>> 32);
    }

    private boolean finished;

    private BlockChecksum() {}

    /**
     * A fresh checksum of the given type ({@link StoredBlock#NO_CHECKSUM}, {@link StoredBlock#CRC32C},
     * {@link StoredBlock#XXHASH64} or {@link StoredBlock#XXH3}).
     *
     * @throws BadTable for any other type, as {@link StoredBlock#checksum} does
     */
    public static BlockChecksum of(int checksumType) {
        return switch (checksumType) {
            case StoredBlock.NO_CHECKSUM -> new None();
            case StoredBlock.CRC32C -> new Crc32c();
            case StoredBlock.XXHASH64 -> new OfXxh64();
            case StoredBlock.XXH3 -> new OfXxh3();
            default -> throw new BadTable("block checksum type " + StoredBlock.checksumName(checksumType) + " is not supported");
        };
    }

    /** Adds the next {@code len} bytes of the block's contents. */
    public final void update(byte[] b, int off, int len) {
        Objects.checkFromIndexSize(off, len, b.length);
        if (finished) {
            throw new IllegalStateException("block checksum already finished");
        }
        add(b, off, len);
    }

    /** The trailer checksum of the contents fed so far followed by {@code compressionType}; ends this checksum. */
    public final int finish(byte compressionType) {
        if (finished) {
            throw new IllegalStateException("block checksum already finished");
        }
        finished = true;
        return end(compressionType);
    }

    abstract void add(byte[] b, int off, int len);

    abstract int end(byte compressionType);

    private static final class None extends BlockChecksum {
        @Override
        void add(byte[] b, int off, int len) {}

        @Override
        int end(byte compressionType) {
            return 0;
        }
    }

    /** kCRC32c: CRC-32C of contents and type byte, masked as util/crc32c.h's Mask. */
    private static final class Crc32c extends BlockChecksum {
        private static final int MASK_DELTA = 0xa282ead8;
        private final CRC32C crc = new CRC32C();

        @Override
        void add(byte[] b, int off, int len) {
            crc.update(b, off, len);
        }

        @Override
        int end(byte compressionType) {
            crc.update(compressionType);
            int c = (int) crc.getValue();
            return ((c >>> 15) | (c << 17)) + MASK_DELTA;
        }
    }

    /** kxxHash64: low 32 bits of XXH64 of contents and type byte. */
    private static final class OfXxh64 extends BlockChecksum {
        private final Xxh64 hash = new Xxh64();

        @Override
        void add(byte[] b, int off, int len) {
            hash.update(b, off, len);
        }

        @Override
        int end(byte compressionType) {
            hash.update(new byte[] {compressionType}, 0, 1);
            return (int) hash.digest();
        }
    }

    /**
     * kXXH3: low 32 bits of XXH3_64 of the contents alone, xor the type byte times a prime (RocksDB's
     * ModifyChecksumForLastByte: it hashes the contents in place, without the byte after them).
     */
    private static final class OfXxh3 extends BlockChecksum {
        private static final int LAST_BYTE_PRIME = 0x6b9083d9;
        private final Xxh3 hash = new Xxh3();

        @Override
        void add(byte[] b, int off, int len) {
            hash.update(b, off, len);
        }

        @Override
        int end(byte compressionType) {
            return (int) hash.digest() ^ (compressionType & 0xff) * LAST_BYTE_PRIME;
        }
    }

    /**
     * Streaming XXH64 with seed 0: 32-byte stripes into four accumulators as they arrive, the tail (under 32
     * bytes) in a buffer until {@link #digest}.
     */
    public static final class Xxh64 {
        private static final int STRIPE = 32;
        private long v1 = PRIME64_1 + PRIME64_2;
        private long v2 = PRIME64_2;
        private long v3 = 0;
        private long v4 = -PRIME64_1;
        private long total;
        private final byte[] buffer = new byte[STRIPE];
        private int buffered;

        public void update(byte[] b, int off, int len) {
            Objects.checkFromIndexSize(off, len, b.length);
            total += len;
            if (buffered + len < STRIPE) {
                System.arraycopy(b, off, buffer, buffered, len);
                buffered += len;
                return;
            }
            if (buffered > 0) {
                int take = STRIPE - buffered;
                System.arraycopy(b, off, buffer, buffered, take);
                stripes(buffer, 0, 1);
                off += take;
                len -= take;
                buffered = 0;
            }
            int n = len / STRIPE;
            stripes(b, off, n);
            off += n * STRIPE;
            len -= n * STRIPE;
            System.arraycopy(b, off, buffer, 0, len);
            buffered = len;
        }

        private void stripes(byte[] b, int off, int count) {
            long a = v1;
            long c = v2;
            long d = v3;
            long e = v4;
            for (int end = off + count * STRIPE; off < end; off += STRIPE) {
                a = round(a, long64(b, off));
                c = round(c, long64(b, off + 8));
                d = round(d, long64(b, off + 16));
                e = round(e, long64(b, off + 24));
            }
            v1 = a;
            v2 = c;
            v3 = d;
            v4 = e;
        }

        private static long round(long acc, long input) {
            return Long.rotateLeft(acc + input * PRIME64_2, 31) * PRIME64_1;
        }

        private static long merge(long h, long v) {
            return (h ^ round(0, v)) * PRIME64_1 + PRIME64_4;
        }

        /** XXH64 of everything fed so far; feeding may go on. */
        public long digest() {
            long h;
            if (total >= STRIPE) {
                h = Long.rotateLeft(v1, 1) + Long.rotateLeft(v2, 7) + Long.rotateLeft(v3, 12) + Long.rotateLeft(v4, 18);
                h = merge(h, v1);
                h = merge(h, v2);
                h = merge(h, v3);
                h = merge(h, v4);
            } else {
                h = PRIME64_5;
            }
            h += total;
            int at = 0;
            for (; at + 8 <= buffered; at += 8) {
                h ^= round(0, long64(buffer, at));
                h = Long.rotateLeft(h, 27) * PRIME64_1 + PRIME64_4;
            }
            if (at + 4 <= buffered) {
                h ^= uint32(buffer, at) * PRIME64_1;
                h = Long.rotateLeft(h, 23) * PRIME64_2 + PRIME64_3;
                at += 4;
            }
            for (; at < buffered; at++) {
                h ^= (buffer[at] & 0xff) * PRIME64_5;
                h = Long.rotateLeft(h, 11) * PRIME64_1;
            }
            return xxh64Avalanche(h);
        }
    }

    /**
     * Streaming XXH3_64bits with seed 0 and the default secret.
     *
     * <p>XXH3 treats inputs of up to 240 bytes in one-shot paths that need all their bytes, and longer ones as
     * 64-byte stripes accumulated into eight lanes, scrambled after every 16 stripes (a 1 KiB block); the stripes
     * it accumulates are those followed by at least one more byte, then one last stripe of the final 64 bytes
     * (overlapping the others) with its own secret offset. So this keeps up to 256 bytes unprocessed — all of a
     * short input — and consumes a stripe only once a byte after it has arrived, keeping the last 64 bytes
     * consumed for a final stripe that reaches back into them.
     */
    public static final class Xxh3 {
        private static final int STRIPE = 64;
        private static final int STRIPES_PER_BLOCK = 16;
        private static final int BUFFER = 4 * STRIPE;
        private static final int MID_SIZE_MAX = 240;
        /** The default secret (kSecret in xxhash.h), 192 bytes. */
        private static final byte[] SECRET = hex(
                "b8fe6c3923a44bbe7c01812cf721ad1cded46de9839097db7240a4a4b7b3671f"
                + "cb79e64eccc0e578825ad07dccff7221b8084674f743248ee03590e6813a264c"
                + "3c2852bb91c300cb88d0658b1b532ea371644897a20df94e3819ef46a9deacd8"
                + "a8fa763fe39c343ff9dcbbc7c70b4f1d8a51e04bcdb45931c89f7ec9d9787364"
                + "eac5ac8334d3ebc3c581a0fffa1363eb170ddd51b7f0da49d316552629d4689e"
                + "2b16be587d47a1fc8ff8b8d17ad031ce45cb3a8f95160428afd7fbcabb4b407e");
        /** The secret as longs at every multiple of 8: stripe s uses longs s..s+7, the scramble longs 16..23. */
        private static final long[] KEY = new long[SECRET.length / 8];
        /** The secret at byte 121 (the last stripe's) and at byte 11 (merging the lanes). */
        private static final long[] LAST_KEY = new long[8];
        private static final long[] MERGE_KEY = new long[8];
        private static final long LOW32 = 0xffffffffL;

        static {
            for (int i = 0; i < KEY.length; i++) {
                KEY[i] = long64(SECRET, 8 * i);
            }
            for (int i = 0; i < 8; i++) {
                LAST_KEY[i] = long64(SECRET, SECRET.length - STRIPE - 7 + 8 * i);
                MERGE_KEY[i] = long64(SECRET, 11 + 8 * i);
            }
        }

        private long acc0 = PRIME32_3;
        private long acc1 = PRIME64_1;
        private long acc2 = PRIME64_2;
        private long acc3 = PRIME64_3;
        private long acc4 = PRIME64_4;
        private long acc5 = PRIME32_2;
        private long acc6 = PRIME64_5;
        private long acc7 = PRIME32_1;
        private int stripeInBlock;
        private long total;
        private final byte[] buffer = new byte[BUFFER];
        private int buffered;
        /** The last 64 bytes consumed as stripes, for a final stripe that starts before {@link #buffer}. */
        private final byte[] lastConsumed = new byte[STRIPE];

        public void update(byte[] b, int off, int len) {
            Objects.checkFromIndexSize(off, len, b.length);
            total += len;
            if (buffered + len <= BUFFER) {
                System.arraycopy(b, off, buffer, buffered, len);
                buffered += len;
                return;
            }
            // More bytes follow the buffer once it is full: its four stripes can go.
            if (buffered > 0) {
                int take = BUFFER - buffered;
                System.arraycopy(b, off, buffer, buffered, take);
                off += take;
                len -= take;
                consume(buffer, 0, BUFFER / STRIPE);
                System.arraycopy(buffer, BUFFER - STRIPE, lastConsumed, 0, STRIPE);
                buffered = 0;
            }
            if (len > STRIPE) {
                int n = (len - 1) / STRIPE;
                consume(b, off, n);
                off += n * STRIPE;
                len -= n * STRIPE;
                System.arraycopy(b, off - STRIPE, lastConsumed, 0, STRIPE);
            }
            System.arraycopy(b, off, buffer, 0, len);
            buffered = len;
        }

        /** Accumulates {@code count} stripes from {@code b[off]}, scrambling at each block's end. */
        private void consume(byte[] b, int off, int count) {
            long a0 = acc0;
            long a1 = acc1;
            long a2 = acc2;
            long a3 = acc3;
            long a4 = acc4;
            long a5 = acc5;
            long a6 = acc6;
            long a7 = acc7;
            int s = stripeInBlock;
            final long[] key = KEY;
            for (int end = off + count * STRIPE; off < end; off += STRIPE) {
                long d0 = long64(b, off);
                long d1 = long64(b, off + 8);
                long d2 = long64(b, off + 16);
                long d3 = long64(b, off + 24);
                long d4 = long64(b, off + 32);
                long d5 = long64(b, off + 40);
                long d6 = long64(b, off + 48);
                long d7 = long64(b, off + 56);
                long k0 = d0 ^ key[s];
                long k1 = d1 ^ key[s + 1];
                long k2 = d2 ^ key[s + 2];
                long k3 = d3 ^ key[s + 3];
                long k4 = d4 ^ key[s + 4];
                long k5 = d5 ^ key[s + 5];
                long k6 = d6 ^ key[s + 6];
                long k7 = d7 ^ key[s + 7];
                // each lane adds its neighbour's input (the "swap adjacent lanes" of the spec)
                a0 += d1 + (k0 & LOW32) * (k0 >>> 32);
                a1 += d0 + (k1 & LOW32) * (k1 >>> 32);
                a2 += d3 + (k2 & LOW32) * (k2 >>> 32);
                a3 += d2 + (k3 & LOW32) * (k3 >>> 32);
                a4 += d5 + (k4 & LOW32) * (k4 >>> 32);
                a5 += d4 + (k5 & LOW32) * (k5 >>> 32);
                a6 += d7 + (k6 & LOW32) * (k6 >>> 32);
                a7 += d6 + (k7 & LOW32) * (k7 >>> 32);
                if (++s == STRIPES_PER_BLOCK) {
                    a0 = scramble(a0, key[16]);
                    a1 = scramble(a1, key[17]);
                    a2 = scramble(a2, key[18]);
                    a3 = scramble(a3, key[19]);
                    a4 = scramble(a4, key[20]);
                    a5 = scramble(a5, key[21]);
                    a6 = scramble(a6, key[22]);
                    a7 = scramble(a7, key[23]);
                    s = 0;
                }
            }
            acc0 = a0;
            acc1 = a1;
            acc2 = a2;
            acc3 = a3;
            acc4 = a4;
            acc5 = a5;
            acc6 = a6;
            acc7 = a7;
            stripeInBlock = s;
        }

        private static long scramble(long acc, long key) {
            return (acc ^ (acc >>> 47) ^ key) * PRIME32_1;
        }

        /** XXH3_64bits of everything fed so far; feeding may go on. */
        public long digest() {
            if (total <= 16) {
                return upTo16(buffer, (int) total);
            }
            if (total <= 128) {
                return upTo128(buffer, (int) total);
            }
            if (total <= MID_SIZE_MAX) {
                return upTo240(buffer, (int) total);
            }
            return longDigest();
        }

        private long longDigest() {
            long[] saved = {acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7};
            int savedStripe = stripeInBlock;
            consume(buffer, 0, (buffered - 1) / STRIPE);
            byte[] last;
            int at;
            if (buffered >= STRIPE) {
                last = buffer;
                at = buffered - STRIPE;
            } else {
                last = new byte[STRIPE];
                System.arraycopy(lastConsumed, buffered, last, 0, STRIPE - buffered);
                System.arraycopy(buffer, 0, last, STRIPE - buffered, buffered);
                at = 0;
            }
            long[] a = {acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7};
            for (int lane = 0; lane < 8; lane++) {
                long d = long64(last, at + 8 * lane);
                long k = d ^ LAST_KEY[lane];
                a[lane ^ 1] += d;
                a[lane] += (k & LOW32) * (k >>> 32);
            }
            long h = total * PRIME64_1;
            for (int pair = 0; pair < 4; pair++) {
                h += mulFold(a[2 * pair] ^ MERGE_KEY[2 * pair], a[2 * pair + 1] ^ MERGE_KEY[2 * pair + 1]);
            }
            acc0 = saved[0];
            acc1 = saved[1];
            acc2 = saved[2];
            acc3 = saved[3];
            acc4 = saved[4];
            acc5 = saved[5];
            acc6 = saved[6];
            acc7 = saved[7];
            stripeInBlock = savedStripe;
            return avalanche(h);
        }

        private static long upTo16(byte[] in, int len) {
            if (len > 8) {
                long lo = long64(in, 0) ^ (long64(SECRET, 24) ^ long64(SECRET, 32));
                long hi = long64(in, len - 8) ^ (long64(SECRET, 40) ^ long64(SECRET, 48));
                return avalanche(len + Long.reverseBytes(lo) + hi + mulFold(lo, hi));
            }
            if (len >= 4) {
                long first = uint32(in, 0);
                long last = uint32(in, len - 4);
                long keyed = (last + (first << 32)) ^ (long64(SECRET, 8) ^ long64(SECRET, 16));
                return rrmxmx(keyed, len);
            }
            if (len > 0) {
                long combined = (long) (in[0] & 0xff) << 16 | (long) (in[len >> 1] & 0xff) << 24 | (in[len - 1] & 0xff)
                        | (long) len << 8;
                return xxh64Avalanche(combined ^ (uint32(SECRET, 0) ^ uint32(SECRET, 4)));
            }
            return xxh64Avalanche(long64(SECRET, 56) ^ long64(SECRET, 64));
        }

        private static long upTo128(byte[] in, int len) {
            long acc = len * PRIME64_1;
            if (len > 32) {
                if (len > 64) {
                    if (len > 96) {
                        acc += mix16(in, 48, 96);
                        acc += mix16(in, len - 64, 112);
                    }
                    acc += mix16(in, 32, 64);
                    acc += mix16(in, len - 48, 80);
                }
                acc += mix16(in, 16, 32);
                acc += mix16(in, len - 32, 48);
            }
            acc += mix16(in, 0, 0);
            acc += mix16(in, len - 16, 16);
            return avalanche(acc);
        }

        private static long upTo240(byte[] in, int len) {
            long acc = len * PRIME64_1;
            int rounds = len / 16;
            for (int i = 0; i < 8; i++) {
                acc += mix16(in, 16 * i, 16 * i);
            }
            acc = avalanche(acc);
            for (int i = 8; i < rounds; i++) {
                acc += mix16(in, 16 * i, 16 * (i - 8) + 3);
            }
            acc += mix16(in, len - 16, 136 - 17);
            return avalanche(acc);
        }

        private static long mix16(byte[] in, int at, int secretAt) {
            return mulFold(long64(in, at) ^ long64(SECRET, secretAt), long64(in, at + 8) ^ long64(SECRET, secretAt + 8));
        }

        /** The 128-bit product of two unsigned longs, its halves xored. */
        private static long mulFold(long a, long b) {
            long high = Math.multiplyHigh(a, b) + ((a >> 63) & b) + ((b >> 63) & a);
            return a * b ^ high;
        }

        private static long avalanche(long h) {
            h ^= h >>> 37;
            h *= 0x165667919E3779F9L;
            return h ^ (h >>> 32);
        }

        private static long rrmxmx(long h, int len) {
            h ^= Long.rotateLeft(h, 49) ^ Long.rotateLeft(h, 24);
            h *= 0x9FB21C651E98DF25L;
            h ^= (h >>> 35) + len;
            h *= 0x9FB21C651E98DF25L;
            return h ^ (h >>> 28);
        }

        private static byte[] hex(String s) {
            byte[] b = new byte[s.length() / 2];
            for (int i = 0; i < b.length; i++) {
                b[i] = (byte) Integer.parseInt(s, 2 * i, 2 * i + 2, 16);
            }
            return b;
        }
    }
}
