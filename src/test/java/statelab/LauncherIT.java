package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
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

    /** The jars jbang built of this test's script, in its cache (a new name each run would pile up there). */
    @AfterEach
    void deleteBuiltJars() throws IOException {
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
