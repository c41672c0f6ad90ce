package statelab.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** The checkout under test, and its ./jbang run as a user runs it. */
public final class Checkout {
    public static final Path ROOT = Path.of("").toAbsolutePath();
    public static final Path TARGET = ROOT.resolve("target");
    /** jbang's first build of a script resolves Flink's jars from Maven Central. */
    public static final Duration JBANG_TIMEOUT = Duration.ofMinutes(10);

    private Checkout() {
        if (!Files.isRegularFile(ROOT.resolve("jbang-catalog.json"))) {
            throw new IllegalStateException("tests must run from the checkout's root, not " + ROOT);
        }
    }

    /** The environment commands run with in tests: their own records home, no inherited cluster URL. */
    public static Map<String, String> env(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>();
        env.put("STATELAB_HOME", TARGET.resolve("statelab-home").toString());
        env.put("STATELAB_REST_URL", "http://127.0.0.1:1");
        env.putAll(extra);
        return env;
    }

    public static Proc.Result jbang(Map<String, String> env, String... args) {
        return jbangWithStdin(env, null, args);
    }

    public static Proc.Result jbangWithStdin(Map<String, String> env, String stdin, String... args) {
        List<String> cmd = new ArrayList<>(List.of(ROOT.resolve("jbang").toString()));
        cmd.addAll(List.of(args));
        return Proc.run(cmd, ROOT, env(env), stdin, JBANG_TIMEOUT);
    }
}
