///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//DEPS org.gaul:s3proxy:2.6.0

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * Test support: a real S3 API server on 127.0.0.1, S3Proxy with its file-system back end, for StateLab's tests and
 * benchmarks of savepoints on S3. Usage: {@code S3Server.java PORT DIR BUCKET...}; the access key and secret are
 * {@code AWS_ACCESS_KEY_ID} and {@code AWS_SECRET_ACCESS_KEY} from the environment (never arguments). Each bucket is
 * a directory under DIR (made when missing), each object a file in it. Prints {@code ready http://127.0.0.1:PORT}
 * once it answers, and stops when its standard input closes: a test that dies takes its server with it.
 */
public final class S3Server {
    private S3Server() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: S3Server.java PORT DIR [BUCKET...]");
            System.exit(2);
        }
        // S3Proxy logs through logback, whose default is every DEBUG line on stdout: warnings only, and on stderr
        ch.qos.logback.classic.LoggerContext logs = (ch.qos.logback.classic.LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory();
        logs.reset();
        ch.qos.logback.core.ConsoleAppender<ch.qos.logback.classic.spi.ILoggingEvent> stderr = new ch.qos.logback.core.ConsoleAppender<>();
        stderr.setContext(logs);
        stderr.setTarget("System.err");
        ch.qos.logback.classic.encoder.PatternLayoutEncoder pattern = new ch.qos.logback.classic.encoder.PatternLayoutEncoder();
        pattern.setContext(logs);
        pattern.setPattern("%d{HH:mm:ss.SSS} %level %logger{0}: %msg%n");
        pattern.start();
        stderr.setEncoder(pattern);
        stderr.start();
        ch.qos.logback.classic.Logger root = logs.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(stderr);
        root.setLevel(ch.qos.logback.classic.Level.WARN);
        int port = Integer.parseInt(args[0]);
        Path dir = Path.of(args[1]).toAbsolutePath();
        String identity = System.getenv("AWS_ACCESS_KEY_ID");
        String credential = System.getenv("AWS_SECRET_ACCESS_KEY");
        if (identity == null || credential == null) {
            System.err.println("S3Server: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
            System.exit(2);
        }
        Files.createDirectories(dir);
        for (int i = 2; i < args.length; i++) {
            Files.createDirectories(dir.resolve(args[i]));
        }
        Properties properties = new Properties();
        properties.setProperty("jclouds.filesystem.basedir", dir.toString());
        BlobStoreContext context = ContextBuilder.newBuilder("filesystem")
                .credentials("", "")
                .overrides(properties)
                .build(BlobStoreContext.class);
        BlobStore blobStore = context.getBlobStore();
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(blobStore)
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, identity, credential)
                .build();
        proxy.start();
        while (!"STARTED".equals(proxy.getState())) {
            if ("FAILED".equals(proxy.getState())) {
                System.err.println("S3Server: S3Proxy failed to start on 127.0.0.1:" + port);
                System.exit(1);
            }
            Thread.sleep(10);
        }
        System.out.println("ready http://127.0.0.1:" + port);
        System.out.flush();
        while (System.in.read() >= 0) {
            // until the parent closes our stdin (or dies)
        }
        proxy.stop();
        context.close();
        System.exit(0);
    }
}
