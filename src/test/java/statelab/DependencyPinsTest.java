package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;
import statelab.testing.Checkout;

/**
 * Versions are chosen once: every {@code //DEPS group:artifact:version} of the scripts, jobs, benchmarks and
 * test scripts names the same version everywhere, and pom.xml compiles and tests against exactly it.
 */
class DependencyPinsTest {
    private static final Pattern DEPS = Pattern.compile("^//DEPS\\s+(.+)$");
    private static final Pattern GAV = Pattern.compile("([\\w.\\-]+):([\\w.\\-]+):([\\w.\\-]+)");

    record Dep(String file, String ga, String version) {}

    static List<Dep> scriptDeps() throws IOException {
        List<Dep> deps = new ArrayList<>();
        for (String root : List.of("scripts", "jobs", "bench", "src/test/jbang")) {
            Path dir = Checkout.ROOT.resolve(root);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                    for (String line : Files.readAllLines(f)) {
                        Matcher m = DEPS.matcher(line.strip());
                        if (!m.matches()) {
                            continue;
                        }
                        for (String coordinate : m.group(1).trim().split("\\s+")) {
                            Matcher g = GAV.matcher(coordinate);
                            assertThat(g.matches()).as("%s: //DEPS %s is group:artifact:version", f, coordinate).isTrue();
                            deps.add(new Dep(Checkout.ROOT.relativize(f).toString(), g.group(1) + ":" + g.group(2), g.group(3)));
                        }
                    }
                }
            }
        }
        return deps;
    }

    static Map<String, String> pomVersions() throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(Checkout.ROOT.resolve("pom.xml").toFile());
        Map<String, String> properties = new HashMap<>();
        NodeList props = ((Element) pom.getElementsByTagName("properties").item(0)).getChildNodes();
        for (int i = 0; i < props.getLength(); i++) {
            if (props.item(i) instanceof Element e) {
                properties.put(e.getTagName(), e.getTextContent().trim());
            }
        }
        Map<String, String> versions = new TreeMap<>();
        NodeList dependencies = pom.getElementsByTagName("dependency");
        for (int i = 0; i < dependencies.getLength(); i++) {
            Element d = (Element) dependencies.item(i);
            String group = text(d, "groupId");
            String artifact = text(d, "artifactId");
            String version = text(d, "version");
            if (version != null && version.startsWith("${")) {
                version = properties.get(version.substring(2, version.length() - 1));
            }
            versions.put(group + ":" + artifact, version);
        }
        properties.forEach((k, v) -> versions.putIfAbsent("property:" + k, v));
        return versions;
    }

    private static String text(Element e, String tag) {
        NodeList n = e.getElementsByTagName(tag);
        return n.getLength() == 0 ? null : n.item(0).getTextContent().trim();
    }

    @Test
    void everyScriptDependencyHasOneVersionAcrossTheRepository() throws IOException {
        Map<String, Map<String, List<String>>> versionsByArtifact = new TreeMap<>();
        for (Dep d : scriptDeps()) {
            versionsByArtifact.computeIfAbsent(d.ga(), k -> new TreeMap<>()).computeIfAbsent(d.version(), k -> new ArrayList<>()).add(d.file());
        }
        assertThat(versionsByArtifact).as("//DEPS found").isNotEmpty();
        versionsByArtifact.forEach((ga, versions) -> assertThat(versions).as("versions of %s", ga).hasSize(1));
    }

    @Test
    void pomMirrorsEveryScriptDependencyWithTheSameVersion() throws Exception {
        Map<String, String> pom = pomVersions();
        for (Dep d : scriptDeps()) {
            String inPom = pom.get(d.ga());
            if (d.ga().equals("com.ververica:frocksdbjni")) {
                inPom = pom.get("property:frocksdbjni.version"); // test-only, in its own JVM; see pom.xml
            } else if (d.ga().equals("org.gaul:s3proxy")) {
                inPom = pom.get("property:s3proxy.version"); // the tests' S3 server, in its own JVM
            } else if (d.ga().equals("org.apache.flink:flink-s3-fs-hadoop") || d.ga().equals("org.apache.flink:flink-hadoop-fs")) {
                inPom = pom.get("property:flink.version"); // a Flink plugin, in its own class loader, never on a classpath
            } else if (d.ga().startsWith("org.apache.hadoop:")) {
                inPom = pom.get("property:hadoop.version"); // the HDFS plugin's client, and the tests' HDFS in its own JVM
            }
            assertThat(inPom).as("%s (in %s) is mirrored in pom.xml", d.ga(), d.file()).isNotNull();
            assertThat(inPom).as("version of %s in pom.xml vs %s", d.ga(), d.file()).isEqualTo(d.version());
        }
    }

    @Test
    void jbangBootstrapPinsTheJbangVersion() throws Exception {
        Document pom = DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(Checkout.ROOT.resolve("bootstrap/pom.xml").toFile());
        NodeList deps = pom.getElementsByTagName("dependency");
        boolean found = false;
        for (int i = 0; i < deps.getLength(); i++) {
            Element d = (Element) deps.item(i);
            if ("jbang-cli".equals(text(d, "artifactId"))) {
                assertThat(text(d, "version")).matches("\\d+\\.\\d+\\.\\d+");
                found = true;
            }
        }
        assertThat(found).as("bootstrap/pom.xml names dev.jbang:jbang-cli").isTrue();
    }
}
