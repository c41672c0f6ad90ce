package statelab.flink;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Jbang;
import statelab.cli.Output;
import statelab.cli.Workspace;

/**
 * The jobs of the checkout (the scripts under {@code jobs/}) and the
 * thin jars a cluster runs them from. jbang builds each job script into a jar holding only the job's own
 * classes (Flink's come from the cluster); this class asks jbang where that jar is and builds it when missing.
 */
public final class JobCatalog {
    /** The job the experiment runs by default; it ends after its last word unless given --keep-running. */
    public static final String WORD_COUNT = "word-count";

    private JobCatalog() {}

    /** A job's thin jar and its entry class. */
    public record JobJar(String name, Path jar, String mainClass) {}

    /**
     * Job name → script path (relative to the checkout), by name: every {@code jobs/*.java}, named after its file in
     * kebab case ({@code jobs/SumJob.java} is {@code sum-job}). Not the catalog's aliases: an alias may name the
     * command that drives a job ({@code sum-job} runs and verifies the job of the same name).
     */
    public static Map<String, String> jobs(Path checkout) {
        Map<String, String> jobs = new java.util.TreeMap<>();
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(checkout.resolve("jobs"))) {
            files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".java"))
                    .forEach(n -> jobs.put(kebab(n.substring(0, n.length() - ".java".length())), "jobs/" + n));
        } catch (IOException e) {
            throw Failure.of(ExitCode.FAILURE, "cannot list %s: %s", checkout.resolve("jobs"), e.getMessage());
        }
        return jobs;
    }

    /** {@code SumJob} → {@code sum-job}. */
    static String kebab(String className) {
        return className.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
    }

    /** Finds a job by name, forgiving case and dashes ({@code wordcount} is {@code word-count}). */
    public static String canonicalName(Path checkout, String name) {
        Map<String, String> jobs = jobs(checkout);
        for (String known : jobs.keySet()) {
            if (normalize(known).equals(normalize(name))) {
                return known;
            }
        }
        throw Failure.of(ExitCode.NOT_FOUND, "unknown job '%s': the checkout's jobs are %s (or pass --jar)",
                name, String.join(", ", jobs.keySet()));
    }

    private static String normalize(String s) {
        return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
    }

    /**
     * The thin jar of job {@code name}. Kept in {@code $STATELAB_HOME/jars/} under the hash of the job's source
     * (a job is one file, its //DEPS included), so jbang, a JVM of its own, is asked only when the source changed.
     */
    public static JobJar resolve(String name, Consumer<String> progress) {
        Path checkout = Workspace.requireCheckout("to find the job " + name + "; or pass --jar");
        String canonical = canonicalName(checkout, name);
        String script = jobs(checkout).get(canonical);
        String key = canonical + "-" + Jbang.sourceHash(checkout.resolve(script));
        Path cachedJar = Workspace.home().resolve("jars").resolve(key + ".jar");
        Path cachedMain = Workspace.home().resolve("jars").resolve(key + ".main");
        try {
            if (Files.isRegularFile(cachedJar) && Files.isRegularFile(cachedMain)) {
                return new JobJar(canonical, cachedJar, Files.readString(cachedMain).strip());
            }
            JobJar built = build(checkout, canonical, script, progress);
            Workspace.writeAtomically(cachedJar, Files.readAllBytes(built.jar()));
            Workspace.writeAtomically(cachedMain, built.mainClass().getBytes(StandardCharsets.UTF_8));
            return new JobJar(canonical, cachedJar, built.mainClass());
        } catch (IOException e) {
            throw Failure.of(ExitCode.CANNOT_WRITE, "cannot keep the jar of %s in %s: %s", canonical, cachedJar.getParent(), e.getMessage());
        }
    }

    /** Asks jbang for the job's jar, building it when jbang has not yet. */
    private static JobJar build(Path checkout, String canonical, String script, Consumer<String> progress) {
        JsonNode info;
        try {
            info = Output.mapper().readTree(Jbang.run(checkout, List.of("info", "tools", "--quiet", script)));
        } catch (IOException e) {
            throw Failure.of(ExitCode.FAILURE, "jbang info tools %s did not print JSON: %s", script, e.getMessage());
        }
        Path jar = Path.of(info.path("applicationJar").asText());
        if (!Files.isRegularFile(jar)) {
            progress.accept("building " + canonical + " with jbang (the first build resolves Flink's jars)");
            Jbang.run(checkout, List.of("build", "--quiet", script));
            if (!Files.isRegularFile(jar)) {
                throw Failure.of(ExitCode.FAILURE, "jbang built %s but %s is not there", script, jar);
            }
        }
        return new JobJar(canonical, jar, mainClassOf(jar));
    }

    /** The jar's Main-Class, which jbang writes when it builds (it knows the main class only after compiling). */
    private static String mainClassOf(Path jar) {
        try (JarFile file = new JarFile(jar.toFile())) {
            Manifest manifest = file.getManifest();
            String main = manifest == null ? null : manifest.getMainAttributes().getValue(Attributes.Name.MAIN_CLASS);
            if (main == null || main.isBlank()) {
                throw Failure.of(ExitCode.FAILURE, "%s names no Main-Class", jar);
            }
            return main;
        } catch (IOException e) {
            throw Failure.of(ExitCode.FAILURE, "cannot read %s: %s", jar, e.getMessage());
        }
    }

}
