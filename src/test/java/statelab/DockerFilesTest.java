package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.xpath.XPathConstants;
import javax.xml.xpath.XPathFactory;
import org.apache.flink.configuration.GlobalConfiguration;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import statelab.testing.Checkout;

/**
 * The Docker side, checked without Docker: no machine StateLab is developed on has a Docker engine, so the
 * Dockerfile and docker-compose.yml are never built or run here. These tests catch what would otherwise show up
 * only on someone else's machine: a base image that drifted from pom.xml, a COPY of a file that is gone or left
 * out of the build context, mounts that miss config.yaml's directories, a REST port open beyond this host, and
 * FLINK_PROPERTIES that copy config.yaml instead of overriding it.
 */
class DockerFilesTest {
    private static final Path DOCKERFILE = Checkout.ROOT.resolve("Dockerfile");
    private static final Path DOCKERIGNORE = Checkout.ROOT.resolve(".dockerignore");
    private static final Path COMPOSE = Checkout.ROOT.resolve("docker-compose.yml");
    private static final Path DOCS = Checkout.ROOT.resolve("docs/docker.md");

    /** Where Flink in the official image reads its configuration. */
    private static final String FLINK_CONFIG_YAML = "/opt/flink/conf/config.yaml";
    private static final String FLINK_LOG_DIR = "/opt/flink/log";
    private static final String JOBS_JAR = "/opt/flink/usrlib/statelab-jobs.jar";
    private static final List<String> SERVICES = List.of("jobmanager", "taskmanager");

    // ---- Dockerfile ---------------------------------------------------------------------------------------------

    @Test
    void finalStageIsFlinksOfficialImageAtThePomsFlinkVersion() throws Exception {
        String expected = "flink:" + pomValue("/project/properties/flink.version") + "-java" + javaRelease();
        assertThat(finalStage().image())
                .as("base image of the Dockerfile's final stage: the scripts and jobs are compiled against pom.xml's "
                        + "flink.version, for Java maven.compiler.release")
                .isEqualTo(expected);
    }

    @Test
    void buildStagesRunTheJavaThePomCompilesFor() throws Exception {
        List<Stage> stages = stages();
        List<Stage> buildStages = stages.subList(0, stages.size() - 1);
        assertThat(buildStages).as("stages before the final one (the jobs jar is built in a stage of its own)").isNotEmpty();
        Pattern java = Pattern.compile("(?:temurin|jdk|openjdk|corretto|java)-?" + javaRelease() + "(?![0-9])");
        for (Stage stage : buildStages) {
            assertThat(java.matcher(stage.image()).find())
                    .as("build stage '%s' runs on %s, which should be a Java %s image (pom.xml's maven.compiler.release)",
                            stage.name(), stage.image(), javaRelease())
                    .isTrue();
        }
    }

    @Test
    void everyCopySourceExistsInTheCheckout() throws IOException {
        for (Stage stage : stages()) {
            for (Copy copy : stage.localCopies()) {
                for (String source : copy.sources()) {
                    assertThat(Checkout.ROOT.resolve(source))
                            .as("COPY source '%s' of stage '%s' exists in the checkout", source, stage.name())
                            .exists();
                }
            }
        }
    }

    @Test
    void noCopySourceIsLeftOutOfTheBuildContextByDockerignore() throws IOException {
        List<String> patterns = dockerignorePatterns();
        for (Stage stage : stages()) {
            for (Copy copy : stage.localCopies()) {
                for (String source : copy.sources()) {
                    assertThat(ignoredBy(patterns, source))
                            .as("patterns of .dockerignore that exclude COPY source '%s' of stage '%s' from the build context",
                                    source, stage.name())
                            .isEmpty();
                }
            }
        }
    }

    @Test
    void configYamlIsTheImagesFlinkConfiguration() throws IOException {
        List<String> destinations = finalStage().localCopies().stream()
                .filter(c -> c.sources().contains("config.yaml"))
                .map(c -> c.destinationOf("config.yaml"))
                .toList();
        assertThat(destinations)
                .as("where the final stage copies the checkout's config.yaml (Flink's image reads %s)", FLINK_CONFIG_YAML)
                .containsExactly(FLINK_CONFIG_YAML);
    }

    @Test
    void buildStageCopiesThePomAndEverySourceRootItCompiles() throws Exception {
        List<String> needed = new ArrayList<>(List.of("pom.xml"));
        needed.addAll(pomSourceRoots());
        Set<String> copied = new LinkedHashSet<>();
        List<Stage> stages = stages();
        for (Stage stage : stages.subList(0, stages.size() - 1)) {
            stage.localCopies().forEach(c -> c.sources().forEach(s -> copied.add(normalize(s))));
        }
        assertThat(copied)
                .as("what the build stages copy: `mvn package` needs pom.xml and the source roots its build-helper adds")
                .containsAll(needed);
    }

    @Test
    void jobsJarComesFromTheBuildStageToWhereDocsRunIt() throws IOException {
        List<Stage> stages = stages();
        Set<String> buildStageNames = new LinkedHashSet<>();
        stages.subList(0, stages.size() - 1).forEach(s -> buildStageNames.add(s.name()));
        List<String> fromBuild = finalStage().copies().stream()
                .filter(c -> buildStageNames.contains(c.flags().get("from")))
                .map(Copy::destination)
                .toList();
        assertThat(fromBuild).as("what the final stage copies from the build stages %s", buildStageNames).contains(JOBS_JAR);
        assertThat(Files.readString(DOCS)).as("docs/docker.md, which runs the jobs jar by its path in the image").contains(JOBS_JAR);
    }

    @Test
    void labelsNameThePomsVersions() throws Exception {
        Map<String, String> labels = finalStage().labels();
        assertThat(labels.get("org.opencontainers.image.version"))
                .as("label org.opencontainers.image.version vs pom.xml's version")
                .isEqualTo(pomValue("/project/version"));
        assertThat(labels.get("dev.statelab.flink.version"))
                .as("label dev.statelab.flink.version vs pom.xml's flink.version")
                .isEqualTo(pomValue("/project/properties/flink.version"));
    }

    // ---- docker-compose.yml -------------------------------------------------------------------------------------

    @Test
    void composeRunsAJobManagerAndATaskManagerBuiltFromTheDockerfile() throws IOException {
        assertThat(services()).as("services of docker-compose.yml").containsKeys(SERVICES.toArray(String[]::new));
        for (String name : SERVICES) {
            Map<String, Object> service = service(name);
            assertThat(Checkout.ROOT.resolve(buildContext(service)).normalize())
                    .as("%s's build context (the checkout, whose Dockerfile builds the image)", name)
                    .isEqualTo(Checkout.ROOT);
            assertThat(buildDockerfile(service)).as("%s's Dockerfile", name).isEqualTo("Dockerfile");
            assertThat(command(service)).as("%s's command, the mode of the image's entrypoint", name).isEqualTo(name);
        }
        assertThat(dependsOn(service("taskmanager"))).as("services the taskmanager depends on").contains("jobmanager");
    }

    @Test
    void bothServicesWriteFlinksLogsToTheCheckoutsLogsDirectory() throws IOException {
        for (String name : SERVICES) {
            assertThat(mounts(service(name)))
                    .as("%s's mounts (container path → source): Flink's log directory on the host, as with the local cluster", name)
                    .containsEntry(FLINK_LOG_DIR, "./logs");
        }
    }

    @Test
    void checkpointAndSavepointMountsAreWhereConfigYamlPointsFlink() throws IOException {
        Map<String, String> config = flinkConfig();
        Map<String, String> jobManager = mounts(service("jobmanager"));
        Map<String, String> taskManager = mounts(service("taskmanager"));
        for (String key : List.of("execution.checkpointing.dir", "execution.checkpointing.savepoint-dir")) {
            String dir = containerPath(config, key);
            assertThat(jobManager)
                    .as("jobmanager's mounts (container path → source): config.yaml's %s is %s", key, dir)
                    .containsKey(dir);
            assertThat(taskManager.get(dir))
                    .as("taskmanager's mount at %s (config.yaml's %s) vs the jobmanager's: one storage for both, since "
                            + "the JobManager writes _metadata and the TaskManager the state files", dir, key)
                    .isEqualTo(jobManager.get(dir));
            String source = jobManager.get(dir);
            if (isNamedVolume(source)) {
                assertThat(topLevelVolumes())
                        .as("top-level volumes of docker-compose.yml, which must declare '%s' (mounted at %s)", source, dir)
                        .containsKey(source);
            }
        }
    }

    @Test
    void savepointsAreADirectoryOfTheHostForSwapSst() throws IOException {
        String savepoints = containerPath(flinkConfig(), "execution.checkpointing.savepoint-dir");
        String source = mounts(service("jobmanager")).get(savepoints);
        assertThat(source)
                .as("source of the jobmanager's %s mount: a host directory (swap-sst rewrites savepoints on the host)", savepoints)
                .isNotNull()
                .matches(s -> !isNamedVolume(s), "is a host path, not a named volume");
    }

    @Test
    void restApiIsPublishedOnLoopbackOnly() throws IOException {
        List<String> jobManagerPorts = new ArrayList<>();
        for (Map.Entry<String, Object> service : services().entrySet()) {
            for (Published port : ports(asMap(service.getValue(), "service " + service.getKey()))) {
                assertThat(port.hostIp())
                        .as("host address of port %s published by %s (everything binds to loopback on the host)",
                                port.containerPort(), service.getKey())
                        .isEqualTo("127.0.0.1");
                if (service.getKey().equals("jobmanager")) {
                    jobManagerPorts.add(port.containerPort());
                }
            }
        }
        assertThat(jobManagerPorts)
                .as("container ports the jobmanager publishes, which must include config.yaml's rest.port")
                .contains(flinkConfig().get("rest.port"));
    }

    @Test
    void flinkPropertiesPointBothServicesAtTheJobManagerService() throws IOException {
        for (String name : SERVICES) {
            assertThat(flinkProperties(service(name)))
                    .as("%s's FLINK_PROPERTIES: jobmanager.rpc.address must be the jobmanager service's name "
                            + "(the image's entrypoint otherwise sets the container's own host name)", name)
                    .containsEntry("jobmanager.rpc.address", "jobmanager");
        }
    }

    @Test
    void flinkPropertiesOnlyOverrideWhatConfigYamlSaysOtherwise() throws IOException {
        Map<String, String> config = flinkConfig();
        for (String name : SERVICES) {
            flinkProperties(service(name)).forEach((key, value) -> assertThat(value)
                    .as("%s's FLINK_PROPERTIES sets %s to what config.yaml already says: drop the line (config.yaml is "
                            + "the single source, FLINK_PROPERTIES only overrides)", name, key)
                    .isNotEqualTo(config.get(key)));
        }
    }

    @Test
    void flinkPropertiesSurviveTheEntrypointsWhitespaceRemoval() throws IOException {
        Pattern keyValue = Pattern.compile("\\s*[^:\\s]+:\\s*\\S+\\s*");
        for (String name : SERVICES) {
            for (String line : flinkPropertiesText(service(name)).split("\n")) {
                if (!line.isBlank()) {
                    assertThat(keyValue.matcher(line).matches())
                            .as("%s's FLINK_PROPERTIES line '%s' is 'key: value' with no space in the value (the image's "
                                    + "entrypoint deletes all whitespace from each line)", name, line)
                            .isTrue();
                }
            }
        }
    }

    // ---- reading the Dockerfile ---------------------------------------------------------------------------------

    /** An instruction: its keyword in upper case and its arguments, continuation lines joined, comments dropped. */
    record Instruction(String keyword, String arguments) {}

    /** A build stage: its base image, its name ({@code AS name}, else its index) and the instructions after FROM. */
    record Stage(String image, String name, List<Instruction> instructions) {
        List<Copy> copies() {
            return instructions.stream()
                    .filter(i -> i.keyword().equals("COPY") || i.keyword().equals("ADD"))
                    .map(Copy::parse)
                    .toList();
        }

        /** The COPYs from the build context, not from another stage or image. */
        List<Copy> localCopies() {
            return copies().stream().filter(c -> !c.flags().containsKey("from")).toList();
        }

        Map<String, String> labels() {
            Pattern label = Pattern.compile("([\\w.\\-]+)=(?:\"([^\"]*)\"|(\\S+))");
            Map<String, String> labels = new LinkedHashMap<>();
            instructions.stream().filter(i -> i.keyword().equals("LABEL")).forEach(i -> {
                Matcher m = label.matcher(i.arguments());
                while (m.find()) {
                    labels.put(m.group(1), m.group(2) != null ? m.group(2) : m.group(3));
                }
            });
            return labels;
        }
    }

    /** A COPY or ADD: its {@code --flags}, its sources and its destination. */
    record Copy(Map<String, String> flags, List<String> sources, String destination) {
        static Copy parse(Instruction instruction) {
            List<String> words = new ArrayList<>(List.of(instruction.arguments().trim().split("\\s+")));
            Map<String, String> flags = new LinkedHashMap<>();
            while (!words.isEmpty() && words.get(0).startsWith("--")) {
                String[] flag = words.remove(0).substring(2).split("=", 2);
                flags.put(flag[0], flag.length > 1 ? flag[1] : "");
            }
            if (!words.isEmpty() && words.get(0).startsWith("[")) {
                try {
                    words = List.of(new ObjectMapper().readValue(String.join(" ", words), String[].class));
                } catch (IOException e) {
                    throw new AssertionError("COPY in JSON form is not a JSON array of strings: " + instruction.arguments(), e);
                }
            }
            assertThat(words).as("sources and destination of %s %s", instruction.keyword(), instruction.arguments()).hasSizeGreaterThan(1);
            return new Copy(flags, List.copyOf(words.subList(0, words.size() - 1)), words.get(words.size() - 1));
        }

        /** Where {@code source} lands: the destination, or inside it when it names a directory. */
        String destinationOf(String source) {
            return destination.endsWith("/") ? destination + Path.of(source).getFileName() : destination;
        }
    }

    static List<Instruction> instructions() throws IOException {
        List<Instruction> instructions = new ArrayList<>();
        StringBuilder pending = new StringBuilder();
        for (String line : Files.readAllLines(DOCKERFILE)) {
            String text = line.strip();
            if (text.isEmpty() || text.startsWith("#")) {
                continue; // Docker drops comment lines, also inside a continued instruction
            }
            if (text.endsWith("\\")) {
                pending.append(text, 0, text.length() - 1).append(' ');
                continue;
            }
            pending.append(text);
            String[] split = pending.toString().strip().split("\\s+", 2);
            instructions.add(new Instruction(split[0].toUpperCase(Locale.ROOT), split.length > 1 ? split[1] : ""));
            pending.setLength(0);
        }
        assertThat(pending.toString()).as("Dockerfile's last instruction ends (no dangling backslash)").isEmpty();
        return instructions;
    }

    static List<Stage> stages() throws IOException {
        List<Stage> stages = new ArrayList<>();
        for (Instruction instruction : instructions()) {
            if (instruction.keyword().equals("FROM")) {
                List<String> words = Stream.of(instruction.arguments().split("\\s+")).filter(w -> !w.startsWith("--")).toList();
                boolean named = words.size() >= 3 && words.get(1).equalsIgnoreCase("AS");
                stages.add(new Stage(words.get(0), named ? words.get(2) : Integer.toString(stages.size()), new ArrayList<>()));
            } else if (!stages.isEmpty()) {
                stages.get(stages.size() - 1).instructions().add(instruction);
            }
        }
        assertThat(stages).as("stages (FROM lines) of the Dockerfile").isNotEmpty();
        return stages;
    }

    static Stage finalStage() throws IOException {
        List<Stage> stages = stages();
        return stages.get(stages.size() - 1);
    }

    /** The patterns of .dockerignore (exceptions, {@code !pattern}, are not used and not honoured here). */
    static List<String> dockerignorePatterns() throws IOException {
        return Files.readAllLines(DOCKERIGNORE).stream()
                .map(String::strip)
                .filter(l -> !l.isEmpty() && !l.startsWith("#") && !l.startsWith("!"))
                .map(DockerFilesTest::normalize)
                .toList();
    }

    /** The patterns that exclude {@code source}: Docker excludes a path when it or one of its parents matches. */
    static List<String> ignoredBy(List<String> patterns, String source) {
        List<String> matching = new ArrayList<>();
        for (String pattern : patterns) {
            PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + pattern);
            for (Path p = Path.of(normalize(source)); p != null; p = p.getParent()) {
                if (matcher.matches(p)) {
                    matching.add(pattern);
                    break;
                }
            }
        }
        return matching;
    }

    /** {@code ./scripts/} → {@code scripts}: paths of the build context as .dockerignore and the pom name them. */
    static String normalize(String path) {
        String p = path.strip();
        while (p.startsWith("./") || p.startsWith("/")) {
            p = p.substring(p.startsWith("./") ? 2 : 1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p;
    }

    // ---- reading docker-compose.yml -----------------------------------------------------------------------------

    /** A published port: host address (empty when none is given), host port, container port. */
    record Published(String hostIp, String hostPort, String containerPort) {}

    /** docker-compose.yml as Compose reads it, YAML anchors and merge keys ({@code <<}) resolved. */
    static Map<String, Object> compose() throws IOException {
        // SnakeYAML (beneath Jackson's YAML module) resolves merge keys; Jackson's parser leaves "<<" as a key.
        try (Reader reader = Files.newBufferedReader(COMPOSE)) {
            return asMap(new Yaml(new SafeConstructor(new LoaderOptions())).load(reader), "docker-compose.yml");
        }
    }

    static Map<String, Object> services() throws IOException {
        return asMap(compose().get("services"), "services of docker-compose.yml");
    }

    static Map<String, Object> service(String name) throws IOException {
        return asMap(services().get(name), "service " + name + " of docker-compose.yml");
    }

    static Map<String, Object> topLevelVolumes() throws IOException {
        Object volumes = compose().get("volumes");
        return volumes == null ? Map.of() : asMap(volumes, "top-level volumes of docker-compose.yml");
    }

    static String buildContext(Map<String, Object> service) {
        Object build = service.get("build");
        return String.valueOf(build instanceof Map<?, ?> m ? m.get("context") : build);
    }

    static String buildDockerfile(Map<String, Object> service) {
        Object build = service.get("build");
        return build instanceof Map<?, ?> m && m.get("dockerfile") != null ? String.valueOf(m.get("dockerfile")) : "Dockerfile";
    }

    /** The command, in either of Compose's forms: a string or a list of words. */
    static String command(Map<String, Object> service) {
        Object command = service.get("command");
        return command instanceof List<?> words ? String.join(" ", words.stream().map(String::valueOf).toList()) : String.valueOf(command);
    }

    /** The services this one depends on, in either of Compose's forms: a list of names or a map by name. */
    static List<String> dependsOn(Map<String, Object> service) {
        Object dependsOn = service.get("depends_on");
        return (dependsOn instanceof Map<?, ?> byName ? byName.keySet().stream() : list(dependsOn).stream()).map(String::valueOf).toList();
    }

    /** Container path → source (host path or volume name), from the short or the long volume syntax. */
    static Map<String, String> mounts(Map<String, Object> service) {
        Map<String, String> mounts = new LinkedHashMap<>();
        for (Object volume : list(service.get("volumes"))) {
            if (volume instanceof Map<?, ?> m) {
                mounts.put(stripSlash(String.valueOf(m.get("target"))), stripSlash(String.valueOf(m.get("source"))));
            } else {
                String[] parts = String.valueOf(volume).split(":");
                if (parts.length >= 2) {
                    mounts.put(stripSlash(parts[1]), stripSlash(parts[0]));
                }
            }
        }
        return mounts;
    }

    static List<Published> ports(Map<String, Object> service) {
        List<Published> ports = new ArrayList<>();
        for (Object port : list(service.get("ports"))) {
            if (port instanceof Map<?, ?> m) {
                ports.add(new Published(String.valueOf(m.get("host_ip") == null ? "" : m.get("host_ip")),
                        String.valueOf(m.get("published")), String.valueOf(m.get("target"))));
            } else {
                String[] parts = String.valueOf(port).split(":");
                String container = parts[parts.length - 1].replaceFirst("/(tcp|udp)$", "");
                ports.add(switch (parts.length) {
                    case 3 -> new Published(parts[0], parts[1], container);
                    case 2 -> new Published("", parts[0], container);
                    default -> new Published("", "", container);
                });
            }
        }
        return ports;
    }

    static String flinkPropertiesText(Map<String, Object> service) {
        Object environment = service.get("environment");
        if (environment instanceof Map<?, ?> m) {
            return m.get("FLINK_PROPERTIES") == null ? "" : String.valueOf(m.get("FLINK_PROPERTIES"));
        }
        for (Object entry : list(environment)) {
            String e = String.valueOf(entry);
            if (e.startsWith("FLINK_PROPERTIES=")) {
                return e.substring("FLINK_PROPERTIES=".length());
            }
        }
        return "";
    }

    /** FLINK_PROPERTIES read as the image's entrypoint reads it: per line, whitespace deleted, split at the first ':'. */
    static Map<String, String> flinkProperties(Map<String, Object> service) {
        Map<String, String> properties = new LinkedHashMap<>();
        for (String line : flinkPropertiesText(service).split("\n")) {
            String compact = line.replaceAll("\\s", "");
            int colon = compact.indexOf(':');
            if (!compact.isEmpty() && colon > 0) {
                properties.put(compact.substring(0, colon), compact.substring(colon + 1));
            }
        }
        return properties;
    }

    static boolean isNamedVolume(String source) {
        return !(source.startsWith(".") || source.startsWith("/") || source.startsWith("~"));
    }

    // ---- reading pom.xml and config.yaml --------------------------------------------------------------------------

    static String pomValue(String xpath) throws Exception {
        String value = XPathFactory.newInstance().newXPath().evaluate(xpath, pom());
        assertThat(value).as("%s in pom.xml", xpath).isNotBlank();
        return value.strip();
    }

    static String javaRelease() throws Exception {
        return pomValue("/project/properties/maven.compiler.release");
    }

    /** The source roots pom.xml's build-helper adds to the main compilation. */
    static List<String> pomSourceRoots() throws Exception {
        NodeList sources = (NodeList) XPathFactory.newInstance().newXPath().evaluate(
                "/project/build/plugins/plugin[artifactId='build-helper-maven-plugin']"
                        + "/executions/execution[goals/goal='add-source']/configuration/sources/source",
                pom(), XPathConstants.NODESET);
        List<String> roots = new ArrayList<>();
        for (int i = 0; i < sources.getLength(); i++) {
            roots.add(normalize(sources.item(i).getTextContent()));
        }
        assertThat(roots).as("source roots added by build-helper-maven-plugin in pom.xml").isNotEmpty();
        return roots;
    }

    private static Document pom() throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Checkout.ROOT.resolve("pom.xml").toFile());
    }

    /** config.yaml as Flink reads it (the loader LocalCluster uses too): nested keys flattened, values as strings. */
    static Map<String, String> flinkConfig() {
        return GlobalConfiguration.loadConfiguration(Checkout.ROOT.toString()).toMap();
    }

    /** The container path a {@code file://} setting of config.yaml names. */
    static String containerPath(Map<String, String> config, String key) {
        String value = config.get(key);
        assertThat(value).as("%s in config.yaml", key).isNotBlank();
        return stripSlash(URI.create(value).getPath());
    }

    private static String stripSlash(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object node, String what) {
        assertThat(node).as("%s is a mapping", what).isInstanceOf(Map.class);
        return (Map<String, Object>) node;
    }

    private static List<?> list(Object node) {
        return node == null ? List.of() : node instanceof List<?> l ? l : List.of(node);
    }
}
