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
 * Flink's file system plugins, as a Flink distribution has them in {@code plugins/NAME/}: a root directory that
 * Flink's {@code PluginManager} scans, for the cluster's processes ({@code FLINK_PLUGINS_DIR}) and for StateLab's own
 * commands ({@link FlinkFiles}). One plugin so far: {@value #S3_SCRIPT}'s {@code flink-s3-fs-hadoop}, for
 * {@code s3://} and {@code s3a://}. Resolved with jbang from Maven Central the first time a location needs it, and
 * kept under {@code $STATELAB_HOME/plugins/} by the hash of that script.
 */
public final class FlinkPlugins {
    /** The script whose only //DEPS is the S3 plugin's jar. */
    public static final String S3_SCRIPT = "scripts/lib/cluster/runtime/FlinkS3Plugin.java";
    /** The schemes the S3 plugin serves (its factories: s3 and s3a). */
    public static final Set<String> S3_SCHEMES = Set.of("s3", "s3a");
    private static final String S3_JAR_PREFIX = "flink-s3-fs-hadoop-";

    private FlinkPlugins() {}

    /** Whether a location's scheme is one the S3 plugin serves. */
    public static boolean servesS3(String scheme) {
        return scheme != null && S3_SCHEMES.contains(scheme.toLowerCase(Locale.ROOT));
    }

    /**
     * The plugins root holding {@code s3-fs-hadoop/flink-s3-fs-hadoop-2.3.0.jar}: made once (a 31 MB download on
     * the first call), then found again by the hash of {@value #S3_SCRIPT}.
     */
    public static Path root(Consumer<String> progress) throws IOException {
        Path checkout = Workspace.requireCheckout("to resolve Flink's S3 plugin from " + S3_SCRIPT);
        Path script = checkout.resolve(S3_SCRIPT);
        Path root = Workspace.home().resolve("plugins").resolve("flink-" + Jbang.sourceHash(script));
        Path dir = root.resolve("s3-fs-hadoop");
        if (Files.isDirectory(dir)) {
            try (var jars = Files.list(dir)) {
                if (jars.anyMatch(j -> j.getFileName().toString().startsWith(S3_JAR_PREFIX) && j.toString().endsWith(".jar"))) {
                    return root;
                }
            }
        }
        progress.accept("resolving Flink's S3 plugin with jbang (" + S3_SCRIPT + ")");
        List<Path> resolved = Arrays.stream(Jbang.run(checkout, List.of("info", "classpath", "--quiet", script.toString())).strip()
                        .split(File.pathSeparator))
                .map(Path::of)
                .filter(jar -> jar.getFileName().toString().startsWith(S3_JAR_PREFIX) && Files.isRegularFile(jar))
                .toList();
        if (resolved.size() != 1) {
            throw Failure.of(ExitCode.FAILURE, "jbang info classpath %s named %d %s*.jar, expected one", S3_SCRIPT, resolved.size(), S3_JAR_PREFIX);
        }
        // a copy, not a link: the plugin stays whole when the Maven cache is cleaned; an AtomicFile, so that a run cut
        // short leaves no half jar where the check above would take it for a plugin
        try (AtomicFile jar = AtomicFile.beside(dir.resolve(resolved.get(0).getFileName()))) {
            Files.copy(resolved.get(0), jar.tmp(), StandardCopyOption.REPLACE_EXISTING);
            jar.commit(false);
        }
        return root;
    }
}
