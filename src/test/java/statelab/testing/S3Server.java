package statelab.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real S3 API server on 127.0.0.1 for the tests: {@code src/test/jbang/S3Server.java} (S3Proxy, file-system back
 * end) in a JVM of its own ({@link ServerProcess}), its buckets directories under {@link #dir}.
 */
public final class S3Server implements AutoCloseable {
    public static final String ACCESS_KEY = "statelab-test";
    public static final String SECRET_KEY = "statelab-test-secret";

    public final int port;
    public final Path dir;
    private final ServerProcess server;

    private S3Server(int port, Path dir, ServerProcess server) {
        this.port = port;
        this.dir = dir;
        this.server = server;
    }

    /** Starts the server with {@code buckets} made, and waits until it answers. */
    public static S3Server start(Path dir, String... buckets) throws IOException {
        int port = TestCluster.freePort();
        Files.createDirectories(dir);
        List<String> cmd = new ArrayList<>(List.of(Checkout.ROOT.resolve("jbang").toString(), "src/test/jbang/S3Server.java",
                Integer.toString(port), dir.toString()));
        cmd.addAll(List.of(buckets));
        ServerProcess server = ServerProcess.start("S3Server", cmd, credentials(), dir.resolveSibling(dir.getFileName() + "-server.log"));
        return new S3Server(port, dir, server);
    }

    /** The environment a client of this server needs: its access key and secret, as every S3 client reads them. */
    public static Map<String, String> credentials() {
        return Map.of("AWS_ACCESS_KEY_ID", ACCESS_KEY, "AWS_SECRET_ACCESS_KEY", SECRET_KEY);
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    /** A client of this server (the AWS SDK's), for what a test does to the store itself. */
    public software.amazon.awssdk.services.s3.S3Client client() {
        return software.amazon.awssdk.services.s3.S3Client.builder()
                .endpointOverride(java.net.URI.create(endpoint()))
                .forcePathStyle(true)
                .region(software.amazon.awssdk.regions.Region.US_EAST_1)
                .credentialsProvider(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
                        software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(ACCESS_KEY, SECRET_KEY)))
                .requestChecksumCalculation(software.amazon.awssdk.core.checksums.RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(software.amazon.awssdk.core.checksums.ResponseChecksumValidation.WHEN_REQUIRED)
                .build();
    }

    /** The file that holds object {@code key} of {@code bucket}. */
    public Path object(String bucket, String key) {
        return dir.resolve(bucket).resolve(key);
    }

    @Override
    public void close() {
        server.close();
    }
}
