package statelab.flink;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.jar.JarFile;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystemFactory;
import org.apache.flink.core.plugin.PluginManager;

/**
 * {@code hdfs://} for StateLab's commands: Flink's own {@code HadoopFsFactory} with Hadoop's client
 * ({@link FlinkPlugins#hadoop}), loaded in a class loader of their own only when a location names HDFS, so that no
 * command carries Hadoop's 50 MB on its classpath.
 *
 * <p>Flink serves HDFS from its classpath: {@code flink-hadoop-fs} is there already (flink-runtime brings it), and
 * Hadoop's classes are meant to be there too ({@code HADOOP_CLASSPATH}). A Flink plugin cannot carry them instead:
 * a plugin's class loader asks the application's first for every {@code org.apache.flink} class, so it would get
 * {@code HadoopFsFactory} from the classpath, where Hadoop is not. This loader asks its own jars first for the
 * classes {@code flink-hadoop-fs} holds and for Hadoop's, and the application's for everything else (Flink's
 * {@link FileSystem} API among them, so that what it makes is the commands' {@link FileSystem}). The factory goes to
 * Flink as a plugin's would ({@link FileSystem#initialize(Configuration, PluginManager)}): Flink then runs every
 * call of the file system with this loader as the thread's context class loader, which Hadoop's configuration
 * loads its classes through.
 */
final class HdfsFiles {
    private HdfsFiles() {}

    /** A plugin manager whose only plugin is the {@code hdfs} factory over the jars in {@code dir}. */
    static PluginManager plugins(Path dir) throws IOException {
        List<Path> jars;
        try (var list = Files.list(dir)) {
            jars = list.filter(j -> j.toString().endsWith(".jar")).sorted().toList();
        }
        Set<String> own = new HashSet<>();
        for (Path jar : jars) {
            if (jar.getFileName().toString().startsWith("flink-hadoop-fs-")) {
                try (JarFile f = new JarFile(jar.toFile())) {
                    f.stream().map(e -> e.getName()).filter(n -> n.endsWith(".class"))
                            .forEach(n -> own.add(n.substring(0, n.length() - 6).replace('/', '.')));
                }
            }
        }
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) {
            urls[i] = jars.get(i).toUri().toURL();
        }
        ClassLoader loader = new OwnFirst(urls, HdfsFiles.class.getClassLoader(), own);
        FileSystemFactory hadoop;
        try {
            hadoop = (FileSystemFactory) loader.loadClass("org.apache.flink.runtime.fs.hdfs.HadoopFsFactory").getConstructor().newInstance();
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IOException("cannot load Flink's Hadoop file system from " + dir + ": " + e, e);
        }
        Hdfs factory = new Hdfs(hadoop, loader);
        return new PluginManager() {
            @Override
            @SuppressWarnings("unchecked")
            public <P> Iterator<P> load(Class<P> service) {
                return service == FileSystemFactory.class ? (Iterator<P>) List.of(factory).iterator() : List.<P>of().iterator();
            }
        };
    }

    /** {@code hdfs}, every call handed to Flink's {@code HadoopFsFactory} (whose own scheme is none: {@code *}). */
    private record Hdfs(FileSystemFactory hadoop, ClassLoader loader) implements FileSystemFactory {
        @Override
        public String getScheme() {
            return "hdfs";
        }

        @Override
        public ClassLoader getClassLoader() {
            return loader;
        }

        /** Hadoop's configuration keeps the context class loader it is made under: this one, whatever calls. */
        @Override
        public void configure(Configuration config) {
            Thread t = Thread.currentThread();
            ClassLoader previous = t.getContextClassLoader();
            t.setContextClassLoader(loader);
            try {
                hadoop.configure(config);
            } finally {
                t.setContextClassLoader(previous);
            }
        }

        /** Hadoop finds its file systems through the context class loader (a ServiceLoader): this one. */
        @Override
        public FileSystem create(URI uri) throws IOException {
            Thread t = Thread.currentThread();
            ClassLoader previous = t.getContextClassLoader();
            t.setContextClassLoader(loader);
            try {
                return hadoop.create(uri);
            } finally {
                t.setContextClassLoader(previous);
            }
        }
    }

    /** Its own jars first for Hadoop's classes and those of {@code flink-hadoop-fs}; the parent first for the rest. */
    private static final class OwnFirst extends URLClassLoader {
        private final Set<String> own;

        OwnFirst(URL[] urls, ClassLoader parent, Set<String> own) {
            super("hdfs", urls, parent);
            this.own = own;
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!own.contains(name) && !name.startsWith("org.apache.hadoop.")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    c = findClass(name);
                }
                if (resolve) {
                    resolveClass(c);
                }
                return c;
            }
        }
    }
}
