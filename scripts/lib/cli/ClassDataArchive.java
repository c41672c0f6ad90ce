package statelab.cli;

import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Fills the class-data archive of each command (catalog {@code "cds": true}) with the classes most commands need,
 * not only those of the run that happened to record them.
 *
 * <p>The launcher ({@code ./jbang}) starts a command's first run with {@code -XX:DumpLoadedClassList} and writes
 * the archive from that list ({@code -Xshare:dump}) at the next run; JBang itself, run without the launcher, starts
 * it with {@code -XX:ArchiveClassesAtExit}. Either way every later run maps the recorded classes from the archive
 * instead of reading, parsing and verifying them. What is recorded is what the first run did, and a first run is often {@code --version} or {@code --help} (every
 * benchmark starts so, and CI's first runs too): then every later {@code --json} loaded Jackson's serializers from
 * their jars, about 150 ms of the 1 s of {@code swap-sst --in-place} on 1 GiB (bench/sst-engine). So a run that
 * writes the archive also writes and reads a result of the usual shapes before it exits. It costs a run that does
 * not write one a read of {@code /proc/self/cmdline} (about 1 ms); where there is no such file it does nothing.
 */
public final class ClassDataArchive {
    /** The launcher's (the list an archive is written from) and JBang's (the archive written at exit). */
    private static final List<String> RECORDING_OPTIONS =
            List.of("\0-XX:DumpLoadedClassList=", "\0-XX:ArchiveClassesAtExit=");

    private ClassDataArchive() {}

    /** A result of the shapes commands print: the warm-up's sample. */
    record Sample(String name, long count, int subtask, boolean inline, Double ratio, Path file, Kind kind,
            List<Long> values, Map<String, Object> fields, Sample nested) {}

    enum Kind { SAMPLE }

    /** A command with work of its own to run while the archive is written: typically a small sample of its job. */
    public interface Exercised {
        void exercise();
    }

    /**
     * When this JVM is writing a class-data archive, loads every class of the script's own jar (StateLab's code:
     * loaded, not initialized), runs the command's {@link Exercised#exercise}, and loads the classes of JSON output
     * and input.
     */
    static void loadCommonClassesIfArchiving(Object command) {
        if (!archiving()) {
            return;
        }
        loadOwnClasses();
        if (command instanceof Exercised e) {
            try {
                e.exercise();
            } catch (RuntimeException | LinkageError ignored) {
                // the archive holds less, nothing else changes
            }
        }
        try {
            Map<String, Object> fields = new LinkedHashMap<>();
            fields.put("text", "a");
            fields.put("number", 1);
            fields.put("missing", null);
            fields.put("list", List.of("b"));
            Sample inner = new Sample("inner", 1, 0, false, null, null, Kind.SAMPLE, List.of(), Map.of(), null);
            Sample sample = new Sample("outer", 2, 1, true, 0.5, Path.of("sample"), Kind.SAMPLE, List.of(1L, 2L), fields, inner);
            String json = Output.toJson(sample);
            Output.mapper().readTree(json).get("name").asText();
            Output.mapper().valueToTree(sample);
        } catch (RuntimeException | java.io.IOException e) {
            // Only the archive's contents depend on this: a later run loads what is missing from the jars.
        }
    }

    /**
     * Loads, without initializing, each StateLab class of the jar this class came from: a command then finds its
     * own classes in the archive whichever of its paths the first run took, and the jars of the libraries they
     * name need not be searched for them.
     */
    private static void loadOwnClasses() {
        ClassLoader loader = ClassDataArchive.class.getClassLoader();
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(
                Path.of(ClassDataArchive.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toFile())) {
            for (var entries = jar.entries(); entries.hasMoreElements();) {
                String name = entries.nextElement().getName();
                if (name.startsWith("statelab/") && name.endsWith(".class")) {
                    try {
                        Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
                    } catch (ClassNotFoundException | LinkageError e) {
                        // a class that cannot load here is left to the run that needs it
                    }
                }
            }
        } catch (IOException | java.net.URISyntaxException | RuntimeException e) {
            // not run from a jar (tests run from class directories): nothing to load
        }
    }

    private static boolean archiving() {
        try (FileInputStream in = new FileInputStream("/proc/self/cmdline")) {
            String cmdline = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            return RECORDING_OPTIONS.stream().anyMatch(cmdline::contains);
        } catch (IOException | SecurityException e) {
            return false;
        }
    }
}
