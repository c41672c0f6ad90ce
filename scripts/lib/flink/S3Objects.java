//DEPS software.amazon.awssdk:s3:2.57.8
package statelab.flink;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.apache.flink.configuration.Configuration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import statelab.cli.CrashPoint;

/**
 * What Flink's {@link org.apache.flink.core.fs.FileSystem} cannot do on S3: make an object out of byte ranges of
 * another without them leaving the store. Flink's file systems offer streams and a rename only, so replacing a 1 GiB
 * object whose last few KiB changed means 1 GiB up, and keeping the original as a backup another 1 GiB. Through
 * S3's own API the backup is a server-side {@code CopyObject}, and the new object a multipart upload whose unchanged
 * ranges are {@code UploadPartCopy} parts of the old one: a few MiB up instead of the whole file.
 *
 * <p>Configured from the same {@code config.yaml} keys as Flink's S3 plugin ({@code s3.endpoint},
 * {@code s3.path.style.access}, {@code s3.endpoint.region}, {@code s3.access-key}/{@code s3.secret-key}, with the
 * plugin's {@code s3a.} and {@code fs.s3a.} spellings too); credentials otherwise from the AWS SDK's default chain
 * (environment, profile, container or instance role), as the plugin finds them. A custom
 * {@code fs.s3a.aws.credentials.provider} names an S3A class this client cannot use: then {@link #open} returns
 * nothing and callers upload whole objects through Flink's file system instead.
 */
public final class S3Objects implements AutoCloseable {
    /** S3's smallest part: every part of a multipart upload but the last is at least this long. */
    public static final long MIN_PART = 5L << 20;
    /** S3's largest part, and the largest object one {@code CopyObject} copies. */
    public static final long MAX_PART = 5L << 30;
    /** Parts uploaded from this machine: big enough to be few, small enough to retry. */
    static final long UPLOAD_PART = 64L << 20;
    /** Copy parts this long or shorter, so that the store can copy several at once. */
    static final long COPY_PART = 256L << 20;
    /** Part requests in flight at once. */
    private static final int PARALLEL = 4;

    private final S3Client client;

    private S3Objects(S3Client client) {
        this.client = client;
    }

    /** A range of the new object: bytes copied from the old object in the store, or uploaded from the local result. */
    public sealed interface Part permits Copy, Upload {
        long from();

        long length();
    }

    /** {@code length} bytes of the base object from {@code from}, copied inside the store. */
    public record Copy(long from, long length) implements Part {}

    /** {@code length} bytes of the local result from {@code from}, uploaded. */
    public record Upload(long from, long length) implements Part {}

    /** What a compose moved: bytes sent from this machine, bytes copied inside the store. */
    public record Moved(long uploaded, long copied) {}

    /**
     * The client for {@code location}'s bucket when its scheme is one Flink's S3 plugin serves and the credentials are
     * ones this client can find too; else nothing (see the class comment), with the reason on {@code progress}.
     */
    public static Optional<S3Objects> open(URI location, Configuration config, Consumer<String> progress) {
        if (!FlinkPlugins.servesS3(location.getScheme())) {
            return Optional.empty();
        }
        if (FlinkFiles.s3Setting(config, "aws.credentials.provider") != null) {
            progress.accept("config.yaml names its own S3 credentials provider: objects go up whole, without server-side copies");
            return Optional.empty();
        }
        var builder = S3Client.builder()
                // S3-compatible stores (S3Proxy, MinIO and others) refuse the SDK's newer default, a CRC32 trailer on
                // every upload: checksums only where the API requires them, as Flink's S3 plugin sends them
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .forcePathStyle(Boolean.parseBoolean(FlinkFiles.s3Setting(config, "path.style.access", "path-style-access")))
                .credentialsProvider(credentials(config));
        String endpoint = FlinkFiles.s3Setting(config, "endpoint");
        if (endpoint != null) {
            boolean ssl = !"false".equalsIgnoreCase(FlinkFiles.s3Setting(config, "connection.ssl.enabled"));
            builder.endpointOverride(URI.create(endpoint.contains("://") ? endpoint : (ssl ? "https://" : "http://") + endpoint));
        }
        String region = Optional.ofNullable(FlinkFiles.s3Setting(config, "endpoint.region")).or(() -> Optional.ofNullable(System.getenv("AWS_REGION")))
                .or(() -> Optional.ofNullable(System.getenv("AWS_DEFAULT_REGION"))).orElse(null);
        // no region said: any signs for a custom endpoint, and on AWS the client follows the bucket to its own
        builder.region(Region.of(region != null ? region : "us-east-1")).crossRegionAccessEnabled(region == null && endpoint == null);
        try {
            return Optional.of(new S3Objects(builder.build()));
        } catch (RuntimeException e) {
            progress.accept("no S3 client for server-side copies (" + cause(e) + "): objects go up whole");
            return Optional.empty();
        }
    }

    private static AwsCredentialsProvider credentials(Configuration config) {
        String access = FlinkFiles.s3Setting(config, "access.key", "access-key");
        String secret = FlinkFiles.s3Setting(config, "secret.key", "secret-key");
        if (access == null || secret == null) {
            return DefaultCredentialsProvider.builder().build();
        }
        String token = FlinkFiles.s3Setting(config, "session.token");
        return StaticCredentialsProvider.create(token == null ? AwsBasicCredentials.create(access, secret)
                : AwsSessionCredentials.create(access, secret, token));
    }

    /** Copies the object {@code from} to {@code to} inside the store; returns its length. */
    public long copy(URI from, URI to) {
        HeadObjectResponse head = client.headObject(b -> b.bucket(bucket(from)).key(key(from)));
        long length = head.contentLength();
        if (length <= MAX_PART) {
            client.copyObject(b -> b.sourceBucket(bucket(from)).sourceKey(key(from)).destinationBucket(bucket(to)).destinationKey(key(to))
                    .copySourceIfMatch(head.eTag()));
        } else {
            multipart(to, from, head.eTag(), null, List.of(new Copy(0, length)), id -> {});
        }
        return length;
    }

    /** How two local files compare: their lengths, and the bytes they share at the start and at the end. */
    public record Shared(long baseLength, long resultLength, long prefix, long suffix) {}

    /**
     * The bytes {@code base} and {@code result} share at the start, compared from {@code known} on (the bytes before it
     * are known to be shared), and at the end without reaching below {@code floor} (nor into the shared start).
     */
    public static Shared shared(Path base, Path result, long known, long floor) throws IOException {
        try (FileChannel b = FileChannel.open(base, StandardOpenOption.READ); FileChannel r = FileChannel.open(result, StandardOpenOption.READ)) {
            long prefix = commonPrefix(b, r, Math.min(known, Math.min(b.size(), r.size())));
            long suffix = commonSuffix(b, r, Math.min(Math.max(prefix, floor), Math.min(b.size(), r.size())));
            return new Shared(b.size(), r.size(), prefix, suffix);
        }
    }

    /** The parts of a compose of {@code shared}'s result (see {@link #plan(long, long, long, long)}). */
    public static List<Part> plan(Shared shared) {
        return plan(shared.baseLength(), shared.resultLength(), shared.prefix(), shared.suffix());
    }

    /**
     * Writes the object {@code target} from {@code parts}: copies of the object {@code baseObject} (which must be
     * {@code baseLength} bytes long) and uploads of the local {@code result}. Nothing, and nothing written, when
     * {@code parts} is empty or the base object is not that long.
     */
    public Optional<Moved> compose(URI target, URI baseObject, long baseLength, Path result, List<Part> parts, Consumer<String> started) {
        if (parts.isEmpty()) {
            return Optional.empty();
        }
        HeadObjectResponse head = client.headObject(b -> b.bucket(bucket(baseObject)).key(key(baseObject)));
        if (head.contentLength() != baseLength) {
            return Optional.empty(); // not the bytes compared against: upload whole
        }
        multipart(target, baseObject, head.eTag(), result, parts, started);
        long uploaded = parts.stream().filter(p -> p instanceof Upload).mapToLong(Part::length).sum();
        long copied = parts.stream().filter(p -> p instanceof Copy).mapToLong(Part::length).sum();
        return Optional.of(new Moved(uploaded, copied));
    }

    /** Aborts the multipart upload {@code id} to {@code target}, left by an interrupted run; quiet if it is gone. */
    public void abort(URI target, String id) {
        try {
            client.abortMultipartUpload(b -> b.bucket(bucket(target)).key(key(target)).uploadId(id));
        } catch (software.amazon.awssdk.services.s3.model.NoSuchUploadException e) {
            // completed or aborted already
        }
    }


    private void multipart(URI target, URI source, String eTag, Path result, List<Part> parts, Consumer<String> started) {
        String id = client.createMultipartUpload(b -> b.bucket(bucket(target)).key(key(target))).uploadId();
        started.accept(id);
        ExecutorService pool = Executors.newFixedThreadPool(PARALLEL, r -> {
            Thread t = new Thread(r, "s3-part");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<CompletedPart>> pending = new ArrayList<>();
            for (int i = 0; i < parts.size(); i++) {
                int number = i + 1;
                Part part = parts.get(i);
                pending.add(pool.submit(() -> part(target, source, eTag, result, id, number, part)));
            }
            List<CompletedPart> done = new ArrayList<>();
            for (Future<CompletedPart> f : pending) {
                done.add(f.get());
            }
            CrashPoint.reached("compose-before-complete");
            client.completeMultipartUpload(b -> b.bucket(bucket(target)).key(key(target)).uploadId(id).multipartUpload(m -> m.parts(done)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            abortQuietly(target, id);
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            abortQuietly(target, id);
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (RuntimeException e) {
            abortQuietly(target, id);
            throw e;
        } finally {
            pool.shutdownNow();
        }
    }

    private CompletedPart part(URI target, URI source, String eTag, Path result, String id, int number, Part part) {
        if (part instanceof Copy c) {
            String tag = client.uploadPartCopy(b -> b.sourceBucket(bucket(source)).sourceKey(key(source)).copySourceIfMatch(eTag)
                    .destinationBucket(bucket(target)).destinationKey(key(target)).uploadId(id).partNumber(number)
                    .copySourceRange("bytes=" + c.from() + "-" + (c.from() + c.length() - 1))).copyPartResult().eTag();
            return CompletedPart.builder().partNumber(number).eTag(tag).build();
        }
        RequestBody body = RequestBody.fromContentProvider(() -> range(result, part.from(), part.length()), part.length(),
                "application/octet-stream");
        String tag = client.uploadPart(b -> b.bucket(bucket(target)).key(key(target)).uploadId(id).partNumber(number), body).eTag();
        return CompletedPart.builder().partNumber(number).eTag(tag).build();
    }

    private void abortQuietly(URI target, String id) {
        try {
            abort(target, id);
        } catch (RuntimeException suppressed) {
            // the failure that got here is the one to report; the journal still names this upload for the next run
        }
    }

    /** {@code length} bytes of {@code file} from {@code from}, as a stream (one per attempt of a part). */
    private static InputStream range(Path file, long from, long length) {
        try {
            FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
            ch.position(from);
            InputStream in = Channels.newInputStream(ch);
            return new java.io.FilterInputStream(in) {
                long left = length;

                @Override
                public int read() throws IOException {
                    if (left <= 0) {
                        return -1;
                    }
                    int b = super.read();
                    if (b >= 0) {
                        left--;
                    }
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    if (left <= 0) {
                        return -1;
                    }
                    int n = super.read(buf, off, (int) Math.min(len, left));
                    if (n > 0) {
                        left -= n;
                    }
                    return n;
                }
            };
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /**
     * The parts of a new object of {@code resultLength} bytes whose first {@code prefix} and last {@code suffix} bytes
     * are those of a base object of {@code baseLength} bytes: copies of those ranges, uploads of the rest, within S3's
     * part sizes ({@link #MIN_PART} for all but the last, {@link #MAX_PART} at most). Empty when no copy part can
     * be made (the shared ranges are shorter than a part): then a plain upload moves the same bytes.
     */
    static List<Part> plan(long baseLength, long resultLength, long prefix, long suffix) {
        return plan(baseLength, resultLength, prefix, suffix, MIN_PART, COPY_PART, UPLOAD_PART);
    }

    static List<Part> plan(long baseLength, long resultLength, long prefix, long suffix, long minPart, long copyPart, long uploadPart) {
        if (prefix < 0 || suffix < 0 || prefix + suffix > Math.min(baseLength, resultLength)) {
            throw new IllegalArgumentException("prefix " + prefix + " and suffix " + suffix + " do not fit " + baseLength + " and " + resultLength);
        }
        long head = prefix >= minPart ? prefix : 0;
        long tail = suffix;
        long middle = resultLength - head - tail;
        if (tail > 0 && middle > 0 && middle < minPart) {
            // the uploaded middle is not the last part, so it needs minPart bytes: taken from the copied tail (the
            // same bytes in the result), or, when the tail is shorter than that, the middle runs to the end
            tail = Math.max(0, tail - (minPart - middle));
        }
        if (head + tail < minPart) {
            return List.of(); // too little shared for a copy to pay
        }
        List<Part> parts = new ArrayList<>();
        split(head, copyPart, (from, length) -> parts.add(new Copy(from, length)), 0);
        split(resultLength - head - tail, uploadPart, (from, length) -> parts.add(new Upload(from, length)), head);
        split(tail, copyPart, (from, length) -> parts.add(new Copy(from, length)), baseLength - tail);
        return List.copyOf(parts);
    }

    private interface Range {
        void add(long from, long length);
    }

    /** {@code length} bytes from {@code at} as n near-equal ranges of at most {@code most} (none when empty). */
    private static void split(long length, long most, Range range, long at) {
        if (length <= 0) {
            return;
        }
        long n = (length + most - 1) / most;
        long each = length / n;
        long rest = length % n;
        long from = at;
        for (long i = 0; i < n; i++) {
            long len = each + (i < rest ? 1 : 0);
            range.add(from, len);
            from += len;
        }
    }

    /** How many leading bytes {@code a} and {@code b} share. */
    static long commonPrefix(FileChannel a, FileChannel b) throws IOException {
        return commonPrefix(a, b, 0);
    }

    /** How many leading bytes {@code a} and {@code b} share, the first {@code from} taken as shared. */
    static long commonPrefix(FileChannel a, FileChannel b, long from) throws IOException {
        long limit = Math.min(a.size(), b.size());
        ByteBuffer x = ByteBuffer.allocateDirect(1 << 20);
        ByteBuffer y = ByteBuffer.allocateDirect(1 << 20);
        long at = from;
        while (at < limit) {
            int n = (int) Math.min(x.capacity(), limit - at);
            fill(a, x, at, n);
            fill(b, y, at, n);
            int m = x.mismatch(y);
            if (m >= 0) {
                return at + m;
            }
            at += n;
        }
        return limit;
    }

    /** How many trailing bytes {@code a} and {@code b} share, not counting the first {@code prefix}. */
    static long commonSuffix(FileChannel a, FileChannel b, long prefix) throws IOException {
        long limit = Math.min(a.size(), b.size()) - prefix;
        ByteBuffer x = ByteBuffer.allocateDirect(1 << 20);
        ByteBuffer y = ByteBuffer.allocateDirect(1 << 20);
        long done = 0;
        while (done < limit) {
            int n = (int) Math.min(x.capacity(), limit - done);
            fill(a, x, a.size() - done - n, n);
            fill(b, y, b.size() - done - n, n);
            if (x.mismatch(y) >= 0) {
                for (int i = n - 1; ; i--) { // from the end backwards: the last differing byte
                    if (x.get(i) != y.get(i)) {
                        return done + (n - 1 - i);
                    }
                }
            }
            done += n;
        }
        return limit;
    }

    private static void fill(FileChannel ch, ByteBuffer buf, long at, int n) throws IOException {
        buf.clear().limit(n);
        while (buf.hasRemaining()) {
            if (ch.read(buf, at + buf.position()) < 0) {
                throw new java.io.EOFException("short read at " + (at + buf.position()));
            }
        }
        buf.flip();
    }

    static String bucket(URI location) {
        return location.getAuthority();
    }

    static String key(URI location) {
        String path = location.getPath();
        return path.startsWith("/") ? path.substring(1) : path;
    }

    /** The one line of an S3 failure a person needs (the SDK's message without its request ids). */
    public static String cause(RuntimeException e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.replaceAll(", Request ID: [^)]*\\)", ")").replaceAll(" \\(SDK Attempt Count: \\d+\\)", "").strip();
    }

    /**
     * Whether {@code e} says this client cannot do the job where Flink's file system can (then an upload does the same
     * job): the store does not offer server-side copies, or the credentials Flink's S3 plugin found are none this
     * client finds.
     */
    public static boolean unsupported(RuntimeException e) {
        if (e instanceof software.amazon.awssdk.services.s3.model.S3Exception s) {
            return s.statusCode() == 501 || "NotImplemented".equals(s.awsErrorDetails() == null ? null : s.awsErrorDetails().errorCode());
        }
        return e instanceof software.amazon.awssdk.core.exception.SdkClientException
                && String.valueOf(e.getMessage()).contains("Unable to load credentials");
    }

    @Override
    public void close() {
        client.close();
    }

    @Override
    public String toString() {
        return "S3Objects" + client.serviceClientConfiguration().endpointOverride().map(u -> "(" + u + ")").orElse("").toLowerCase(Locale.ROOT);
    }
}
