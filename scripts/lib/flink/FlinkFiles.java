package statelab.flink;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.configuration.GlobalConfiguration;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.UnsupportedFileSystemSchemeException;
import org.apache.flink.core.plugin.DefaultPluginManager;
import org.apache.flink.core.plugin.PluginManager;
import org.apache.flink.core.plugin.DirectoryBasedPluginFinder;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Workspace;

/**
 * Savepoint locations that are not on this machine's disk ({@code s3://bucket/savepoints/savepoint-…}), read and
 * written through Flink's own {@link FileSystem} and its plugins ({@link FlinkPlugins}), configured as Flink is: the
 * {@code config.yaml} in {@code $FLINK_CONF_DIR} when that is set, else the checkout's. So {@code s3.endpoint},
 * {@code s3.path.style.access} and the rest are the keys the cluster reads; credentials come from where Flink's S3
 * plugin finds them (the environment's {@code AWS_ACCESS_KEY_ID} and {@code AWS_SECRET_ACCESS_KEY}, a profile, an
 * instance role), never from a command line.
 */
public final class FlinkFiles {
    private static boolean initialized;
    private static boolean withS3;
    private static boolean withHdfs;
    /**
     * The AWS SDK inside the S3 plugin logs through java.util.logging, not log4j: a deprecation notice and a missing
     * mime.types on every start. Held here, as java.util.logging keeps only weak references to its loggers; set when
     * a file system is first made, not when this class loads: starting java.util.logging looks for services in every
     * jar of the classpath (~20 ms of swap-sst on a local file, which only asks {@link #isRemote}).
     */
    private static java.util.logging.Logger awsSdkLog;

    private FlinkFiles() {}

    /** Whether {@code location} names a file system other than the local one: {@code scheme://…}, not {@code file:}. */
    public static boolean isRemote(String location) {
        String scheme = scheme(location);
        return scheme != null && !scheme.equals("file");
    }

    /** The scheme of {@code location} in lower case ({@code s3}, {@code file}), or null for a plain path. */
    public static String scheme(String location) {
        String s = location.strip();
        int colon = s.indexOf(':');
        if (colon < 2 || !s.startsWith("://", colon)) { // "C:" and plain paths are not URIs with a scheme
            return s.startsWith("file:") ? "file" : null;
        }
        String scheme = s.substring(0, colon).toLowerCase(Locale.ROOT);
        return scheme.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '+' || c == '-' || c == '.') ? scheme : null;
    }

    /** {@code location} as a URI, without a trailing slash; a clear failure when it is not one. */
    public static URI uri(String location) {
        String s = location.strip();
        while (s.endsWith("/") && s.indexOf("://") + 3 < s.length()) {
            s = s.substring(0, s.length() - 1);
        }
        try {
            URI uri = new URI(s);
            if (uri.getScheme() == null || uri.getAuthority() == null && !"file".equals(uri.getScheme())) {
                throw Failure.of(ExitCode.USAGE, "'%s' is not a location Flink can read: expected SCHEME://BUCKET/PATH", location);
            }
            return uri;
        } catch (URISyntaxException e) {
            throw Failure.of(ExitCode.USAGE, "'%s' is not a URI: %s", location, e.getReason());
        }
    }

    /**
     * The one line of {@code e} a person needs: its root cause, without the request ids the AWS SDK appends
     * ("… Status Code: 403; Error Code: SignatureDoesNotMatch)" is what says why).
     */
    public static String cause(Exception e) {
        return RootCause.of(org.apache.flink.util.ExceptionUtils.stringifyException(e))
                .replaceAll("; Request ID: [^)]*\\)(, S3 Extended Request ID: \\S*)?", ")");
    }

    /** The configuration Flink's file systems are set up with here (see the class comment). */
    public static Configuration configuration() {
        String confDir = System.getenv("FLINK_CONF_DIR");
        Path dir = confDir != null && !confDir.isBlank() ? Path.of(confDir)
                : Workspace.checkout().filter(c -> Files.isRegularFile(c.resolve(GlobalConfiguration.FLINK_CONF_FILENAME))).orElse(null);
        if (dir == null) {
            return new Configuration();
        }
        if (!Files.isRegularFile(dir.resolve(GlobalConfiguration.FLINK_CONF_FILENAME))) {
            throw Failure.of(ExitCode.NOT_FOUND, "FLINK_CONF_DIR=%s holds no %s", dir, GlobalConfiguration.FLINK_CONF_FILENAME);
        }
        try {
            Configuration config = GlobalConfiguration.loadConfiguration(dir.toString());
            // A person waits for a command: S3's client retries a refused request (a wrong secret) for over two
            // minutes by default, and waits 200 s for an answer that does not come (an endpoint that accepts and
            // never answers held a command for more than 400 s). Here each request is tried three times (S3A's
            // retries, none inside the AWS SDK), with 5 s to connect and 10 s for an answer: a wrong secret fails in
            // 2.5 s, a silent endpoint in about a minute. Unless config.yaml says otherwise; the cluster keeps its own.
            Map<String, String> forCommands = Map.of("attempts.maximum", "1", "retry.limit", "2",
                    "connection.establish.timeout", "5000", "connection.timeout", "10000");
            forCommands.forEach((key, value) -> {
                if (s3Setting(config, key) == null) {
                    config.setString("s3." + key, value);
                }
            });
            return config;
        } catch (RuntimeException e) {
            throw Failure.of(ExitCode.USAGE, "cannot read %s: %s", dir.resolve(GlobalConfiguration.FLINK_CONF_FILENAME), e.getMessage());
        }
    }

    /**
     * A setting of Flink's S3 plugin under any of the prefixes it reads ({@code s3.}, {@code s3a.}, {@code fs.s3a.}),
     * by the first of {@code names} (its spellings) that is set, or null.
     */
    public static String s3Setting(Configuration config, String... names) {
        for (String name : names) {
            for (String prefix : new String[] {"s3.", "s3a.", "fs.s3a."}) {
                String value = config.getString(prefix + name, null);
                if (value != null && !value.isBlank()) {
                    return value.strip();
                }
            }
        }
        return null;
    }

    /**
     * The file system that serves {@code uri}, set up once per process, and again when a later location needs what
     * the first did not: with the S3 plugin when the scheme is one it serves (resolved the first time, see
     * {@link FlinkPlugins#root}), with Hadoop's client for {@code hdfs://} ({@link HdfsFiles}). A scheme nothing serves
     * fails in one line.
     */
    public static synchronized FileSystem of(URI uri, Consumer<String> progress) {
        try {
            boolean s3 = FlinkPlugins.servesS3(uri.getScheme());
            boolean hdfs = FlinkPlugins.servesHdfs(uri.getScheme());
            if (!initialized || s3 && !withS3 || hdfs && !withHdfs) {
                // once per process, and again when a location needs what the first did not (diff s3://… hdfs://…)
                withS3 |= s3;
                withHdfs |= hdfs;
                Configuration config = configuration();
                List<PluginManager> plugins = new java.util.ArrayList<>();
                if (withS3) {
                    awsSdkLog = java.util.logging.Logger.getLogger("com.amazonaws");
                    awsSdkLog.setLevel(java.util.logging.Level.SEVERE);
                    System.setProperty("aws.java.v1.disableDeprecationAnnouncement", "true");
                    Path root = FlinkPlugins.root(progress);
                    plugins.add(new DefaultPluginManager(new DirectoryBasedPluginFinder(root).findPlugins(),
                            CoreOptions.getPluginParentFirstLoaderPatterns(config)));
                }
                if (withHdfs) {
                    plugins.add(HdfsFiles.plugins(FlinkPlugins.hadoop(progress)));
                }
                FileSystem.initialize(config, plugins.isEmpty() ? null : new PluginManager() {
                    @Override
                    public <P> java.util.Iterator<P> load(Class<P> service) {
                        List<P> all = new java.util.ArrayList<>();
                        plugins.forEach(m -> m.load(service).forEachRemaining(all::add));
                        return all.iterator();
                    }
                });
                initialized = true;
            }
            return FileSystem.get(uri);
        } catch (UnsupportedFileSystemSchemeException e) {
            throw Failure.of(ExitCode.USAGE, "no file system serves '%s://' here (StateLab reads file: and %s): %s",
                    uri.getScheme(), String.join(", ", FlinkPlugins.schemes().stream().map(s -> s + ":").toList()), uri);
        } catch (IOException e) {
            throw Failure.of(ExitCode.FAILURE, "cannot open %s: %s", uri, cause(e));
        }
    }
}
