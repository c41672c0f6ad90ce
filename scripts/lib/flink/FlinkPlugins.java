package statelab.flink;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Consumer;
import statelab.cli.AtomicFile;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Jbang;
import statelab.cli.Workspace;

/**
 * Flink's file systems beyond the local one, as jars resolved with jbang from Maven Central the first time a location
 * needs them, kept under {@code $STATELAB_HOME} by the hash of the script that names them:
 * <ul>
 *   <li>{@link #S3}, Flink's S3 plugin ({@code flink-s3-fs-hadoop}, for {@code s3://} and {@code s3a://}), in a
 *       plugins root as a Flink distribution has {@code plugins/NAME/}: Flink's {@code PluginManager} scans it for the
 *       cluster's processes ({@code FLINK_PLUGINS_DIR}) and for StateLab's own commands ({@link FlinkFiles});
 *   <li>{@link #HADOOP}, Hadoop's client with Flink's Hadoop file system, for {@code hdfs://}: not a plugin (Flink
 *       serves HDFS from its classpath, where {@code flink-hadoop-fs} already is, once Hadoop's classes are there),
 *       a directory of jars for the cluster's classpath and for {@link HdfsFiles}' class loader.
 * </ul>
 */
public final class FlinkPlugins {
    /**
     * Jars resolved from a script: the directory they are kept in, the script whose //DEPS resolve them, the schemes
     * they serve, and the jars of that script's classpath kept (by name prefix; the first is copied last, so that a
     * directory with it is whole). The rest of the classpath (Flink's own jars) is where Flink runs already.
     */
    public record Jars(String directory, String script, Set<String> schemes, List<String> prefixes) {}

    /** Flink's S3 file system plugin: one self-contained jar, in {@code plugins/s3-fs-hadoop/}. */
    public static final Jars S3 = new Jars("s3-fs-hadoop", "scripts/lib/cluster/runtime/FlinkS3Plugin.java",
            Set.of("s3", "s3a"), List.of("flink-s3-fs-hadoop-"));
    /** Hadoop's shaded client, commons-logging and Flink's Hadoop file system. */
    public static final Jars HADOOP = new Jars("hadoop", "scripts/lib/cluster/runtime/HadoopClient.java",
            Set.of("hdfs"), List.of("hadoop-client-api-", "hadoop-client-runtime-", "commons-logging-", "flink-hadoop-fs-"));
    /** The schemes the S3 plugin serves (S3's own API serves them too: {@link S3Objects}). */
    public static final Set<String> S3_SCHEMES = S3.schemes();

    private FlinkPlugins() {}

    /** Whether a location's scheme is one the S3 plugin serves. */
    public static boolean servesS3(String scheme) {
        return scheme != null && S3.schemes().contains(scheme.toLowerCase(Locale.ROOT));
    }

    /** Whether a location's scheme is HDFS's. */
    public static boolean servesHdfs(String scheme) {
        return scheme != null && HADOOP.schemes().contains(scheme.toLowerCase(Locale.ROOT));
    }

    /** Every scheme served beyond {@code file:}, sorted. */
    public static List<String> schemes() {
        return java.util.stream.Stream.of(S3, HADOOP).flatMap(p -> p.schemes().stream()).sorted().toList();
    }

    /**
     * The plugins root holding {@code s3-fs-hadoop/flink-s3-fs-hadoop-2.3.0.jar}: made once (a 31 MB download on
     * the first call), then found again by the hash of {@link #S3}'s script.
     */
    public static Path root(Consumer<String> progress) throws IOException {
        Path checkout = Workspace.requireCheckout("to resolve Flink's S3 plugin from " + S3.script());
        Path root = Workspace.home().resolve("plugins").resolve("flink-" + Jbang.sourceHash(checkout.resolve(S3.script())));
        make(checkout, root.resolve(S3.directory()), S3, progress);
        return root;
    }

    /**
     * The directory of {@link #HADOOP}'s jars (about 50 MB, downloaded on the first call), beside the plugins root,
     * never in it: Flink would take it for a plugin.
     */
    public static Path hadoop(Consumer<String> progress) throws IOException {
        Path checkout = Workspace.requireCheckout("to resolve Hadoop's client from " + HADOOP.script());
        Path dir = Workspace.home().resolve("hadoop-" + Jbang.sourceHash(checkout.resolve(HADOOP.script())));
        make(checkout, dir, HADOOP, progress);
        return dir;
    }

    /** The jars of {@link #hadoop} but Flink's Hadoop file system, which Flink's own classpath has: what HADOOP_CLASSPATH holds. */
    public static List<Path> hadoopClasspath(Consumer<String> progress) throws IOException {
        try (var jars = Files.list(hadoop(progress))) {
            return jars.filter(j -> j.toString().endsWith(".jar") && !j.getFileName().toString().startsWith("flink-")).sorted().toList();
        }
    }

    private static void make(Path checkout, Path dir, Jars plugin, Consumer<String> progress) throws IOException {
        String own = plugin.prefixes().get(0);
        if (Files.isDirectory(dir)) {
            try (var jars = Files.list(dir)) {
                if (jars.anyMatch(j -> j.getFileName().toString().startsWith(own) && j.toString().endsWith(".jar"))) {
                    return;
                }
            }
        }
        String script = checkout.resolve(plugin.script()).toString();
        progress.accept("resolving " + plugin.directory() + " with jbang (" + plugin.script() + ")");
        List<Path> classpath = Arrays.stream(Jbang.run(checkout, List.of("info", "classpath", "--quiet", script)).strip()
                        .split(File.pathSeparator))
                .map(Path::of)
                .filter(Files::isRegularFile)
                .toList();
        List<Path> kept = new java.util.ArrayList<>();
        for (String prefix : plugin.prefixes()) {
            List<Path> found = classpath.stream().filter(j -> j.getFileName().toString().startsWith(prefix)).toList();
            if (found.size() != 1) {
                throw Failure.of(ExitCode.FAILURE, "jbang info classpath %s named %d %s*, expected one", plugin.script(), found.size(), prefix);
            }
            kept.add(found.get(0));
        }
        Files.createDirectories(dir);
        // copies, not links: they stay whole when the Maven cache is cleaned; the first jar last and each through an
        // AtomicFile, so that a run cut short leaves no directory the check above would take for a whole one
        for (Path jar : kept.subList(1, kept.size())) {
            copy(jar, dir);
        }
        copy(kept.get(0), dir);
    }

    private static void copy(Path jar, Path dir) throws IOException {
        try (AtomicFile copy = AtomicFile.beside(dir.resolve(jar.getFileName()))) {
            Files.copy(jar, copy.tmp(), StandardCopyOption.REPLACE_EXISTING);
            copy.commit(false);
        }
    }
}
