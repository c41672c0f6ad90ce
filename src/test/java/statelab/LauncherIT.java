package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import statelab.testing.Checkout;
import statelab.testing.Proc;

/** The checkout's ./jbang launcher, as a pipe of one script's stages uses it. */
class LauncherIT {
    @TempDir
    Path dir;

    private final String name = "Stage" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);

    @Test
    void fourStagesOfOneScriptNotYetBuiltBuildItOnceAndAllRun() throws IOException {
        // a script jbang has never built (its class name is new), as each stage of `./jbang statelab … | …` is after
        // an edit; without the launcher's lock, jbang's parallel builds broke each other ("Error creating/updating jar")
        Path script = dir.resolve(name + ".java");
        Files.writeString(script, """
                ///usr/bin/env jbang "$0" "$@" ; exit $?
                import java.io.BufferedReader;
                import java.io.InputStreamReader;

                public class %s {
                    public static void main(String[] args) throws Exception {
                        String line = new BufferedReader(new InputStreamReader(System.in)).readLine();
                        System.out.println((line == null ? "" : line) + " " + args[0]);
                    }
                }
                """.formatted(name));
        String stage = "./jbang " + script;
        Proc.Result r = Proc.bash("echo start | " + stage + " a | " + stage + " b | " + stage + " c | " + stage + " d",
                Checkout.ROOT, Checkout.env(Map.of()), Checkout.JBANG_TIMEOUT);
        assertThat(r.exit()).as("%s", r).isZero();
        assertThat(r.out().strip()).as("%s", r).isEqualTo("start a b c d");
        assertThat(r.err()).as("%s", r).doesNotContain("ERROR");
    }

    @Test
    void anAliasRunAgainReusesJBangsCommandLineUntilSomethingChanges() throws IOException {
        // a checkout of its own (its launcher, catalog and scripts; JBang's jars shared), so that an edit stays here
        Path checkout = dir.resolve("checkout");
        Files.createDirectories(checkout.resolve("scripts"));
        Files.createDirectories(checkout.resolve("bootstrap"));
        Files.copy(Checkout.ROOT.resolve("jbang"), checkout.resolve("jbang"));
        Files.copy(Checkout.ROOT.resolve("bootstrap/pom.xml"), checkout.resolve("bootstrap/pom.xml"));
        Files.createSymbolicLink(checkout.resolve("bootstrap/lib"), Checkout.ROOT.resolve("bootstrap/lib"));
        Files.writeString(checkout.resolve("jbang-catalog.json"), """
                {
                  "aliases": {
                    "hello": {
                      "script-ref": "scripts/%s.java",
                      "cds": true
                    }
                  }
                }
                """.formatted(name));
        writeHello(checkout, "v1");

        List<String> args = List.of("hello", "a b", "it's", "--json", "");
        Path archive = checkout.resolve("bootstrap/.exec/hello.jsa");
        Launch first = launch(checkout, args); // JBang's line kept; the JVM lists the classes it loads
        assertThat(first.out()).as("%s", first.result()).isEqualTo("v1 [a b] [it's] [--json] []");
        assertThat(first.trace()).as("%s", first.result()).contains("hello: asking JBang");
        assertThat(archive).doesNotExist();
        Launch second = launch(checkout, args); // the kept line, which writes the archive from that list first
        assertThat(second.out()).as("%s", second.result()).isEqualTo("v1 [a b] [it's] [--json] []");
        assertThat(second.trace()).as("%s", second.result())
                .contains("hello: the kept command line", "hello: writing its class-data archive");
        assertThat(archive).isNotEmptyFile();
        try (Stream<Path> lists = Files.list(archive.getParent())) {
            assertThat(lists.map(p -> p.getFileName().toString())).as("lists of classes left").noneMatch(n -> n.contains("classlist"));
        }
        // -Xshare:on: a JVM that cannot map the archive (not written for this command line, or stale) refuses to start
        Launch kept = launch(checkout, args, "JDK_JAVA_OPTIONS", "-Xshare:on");
        assertThat(kept.out()).as("%s", kept.result()).isEqualTo("v1 [a b] [it's] [--json] []");
        assertThat(kept.trace()).as("%s", kept.result()).contains("hello: the kept command line")
                .doesNotContain("writing its class-data archive");
        // the build of Java that wrote the archive is kept beside it; an archive of another build (a JDK upgraded in
        // place keeps its path, and a JVM ignores an archive of another build without a word) is written anew
        Path built = checkout.resolve("bootstrap/.exec/hello.jsa.jdk");
        assertThat(built).content().isEqualToIgnoringNewLines(javaRuntimeVersion(checkout));
        Files.writeString(built, "17.0.1+12-older\n");
        Launch upgraded = launch(checkout, args);
        assertThat(upgraded.out()).as("%s", upgraded.result()).isEqualTo("v1 [a b] [it's] [--json] []");
        assertThat(upgraded.trace()).as("%s", upgraded.result())
                .contains("hello: its class-data archive was written by Java 17.0.1+12-older, this is " + javaRuntimeVersion(checkout));
        assertThat(archive).as("the other build's archive").doesNotExist();
        launch(checkout, args); // writes it again, from the classes the run before listed
        assertThat(archive).isNotEmptyFile();
        assertThat(built).content().isEqualToIgnoringNewLines(javaRuntimeVersion(checkout));
        Launch noArgs = launch(checkout, List.of("hello"));
        assertThat(noArgs.out()).as("no arguments: none, not an empty one (%s)", noArgs.result()).isEqualTo("v1");

        writeHello(checkout, "v2"); // an edit: JBang is asked again, and builds the new source
        Launch edited = launch(checkout, args);
        assertThat(edited.out()).as("%s", edited.result()).isEqualTo("v2 [a b] [it's] [--json] []");
        assertThat(edited.trace()).as("%s", edited.result()).contains("hello: asking JBang");
        assertThat(archive).as("the archive of the line JBang replaced").doesNotExist();

        launch(checkout, args); // the new line kept
        deleteBuiltJars(); // JBang's cache cleared: the kept line names a jar that is gone
        Launch rebuilt = launch(checkout, args);
        assertThat(rebuilt.out()).as("%s", rebuilt.result()).isEqualTo("v2 [a b] [it's] [--json] []");
        assertThat(rebuilt.trace()).as("%s", rebuilt.result()).contains("hello: asking JBang");

        // JBang 0.132.1 itself drops an empty argument (`hello a '' b` becomes `… a  b` on its command line):
        // asked for the alias alone, the launcher passes every argument as given, the empty one included
        Launch off = launch(checkout, args, "STATELAB_LAUNCHER_CACHE", "off");
        assertThat(off.out()).as("%s", off.result()).isEqualTo("v2 [a b] [it's] [--json]");
        assertThat(off.trace()).as("%s", off.result()).doesNotContain("hello:");
    }

    /** The build of the Java the kept command line runs, as that JDK's release file names it. */
    private static String javaRuntimeVersion(Path checkout) throws IOException {
        String line = Files.readAllLines(checkout.resolve("bootstrap/.exec/hello")).get(1);
        Path release = Path.of(line.substring(0, line.indexOf(' '))).getParent().getParent().resolve("release");
        for (String l : Files.readAllLines(release)) {
            if (l.startsWith("JAVA_RUNTIME_VERSION=")) {
                return l.substring(l.indexOf('=') + 1).replace("\"", "");
            }
        }
        throw new AssertionError("no JAVA_RUNTIME_VERSION in " + release);
    }

    record Launch(Proc.Result result) {
        String out() {
            return result.out().strip();
        }

        String trace() {
            return result.err();
        }
    }

    private Launch launch(Path checkout, List<String> args, String... env) {
        Map<String, String> vars = new java.util.HashMap<>(Map.of("STATELAB_LAUNCHER_TRACE", "1"));
        for (int i = 0; i < env.length; i += 2) {
            vars.put(env[i], env[i + 1]);
        }
        List<String> cmd = new java.util.ArrayList<>(List.of(checkout.resolve("jbang").toString()));
        cmd.addAll(args);
        Proc.Result r = Proc.run(cmd, checkout, Checkout.env(vars), null, Checkout.JBANG_TIMEOUT);
        assertThat(r.exit()).as("%s", r).isZero();
        return new Launch(r);
    }

    private void writeHello(Path checkout, String version) throws IOException {
        Files.writeString(checkout.resolve("scripts/" + name + ".java"), """
                ///usr/bin/env jbang "$0" "$@" ; exit $?
                public class %s {
                    public static void main(String[] args) {
                        StringBuilder out = new StringBuilder("%s");
                        for (String a : args) {
                            out.append(" [").append(a).append(']');
                        }
                        System.out.println(out);
                    }
                }
                """.formatted(name, version));
    }

    @AfterEach
    void cleanUp() throws IOException {
        deleteBuiltJars();
        Files.deleteIfExists(dir.resolve("checkout/bootstrap/lib")); // the link only, before JUnit's cleanup warns of it
    }

    /** The jars jbang built of this test's script, in its cache (a new name each run would pile up there). */
    private void deleteBuiltJars() throws IOException {
        String jbangDir = System.getenv().getOrDefault("JBANG_DIR", System.getProperty("user.home") + "/.jbang");
        Path jars = Path.of(System.getenv().getOrDefault("JBANG_CACHE_DIR", jbangDir + "/cache"), "jars");
        if (!Files.isDirectory(jars)) {
            return;
        }
        try (Stream<Path> built = Files.list(jars)) {
            for (Path p : built.filter(p -> p.getFileName().toString().startsWith(name + ".java")).toList()) {
                try (Stream<Path> tree = Files.walk(p)) {
                    for (Path f : tree.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(f);
                    }
                }
            }
        }
    }
}
