package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statelab.cli.ExitCode;
import statelab.testing.Checkout;
import statelab.testing.InProcess;
import statelab.testing.Proc;
import statelab.testing.RestProbe;
import statelab.testing.TestCluster;
import statelab.verify.SumOutput;

/** The two jobs on the real cluster, submitted the way users submit them. */
@ExtendWith(TestCluster.class)
class JobsIT {
    static final ObjectMapper JSON = new ObjectMapper();

    @AfterEach
    void freeTheSlots() {
        RestProbe.cancelAll(TestCluster.get().restUrl());
    }

    @Test
    void wordCountRunsWithAllItsTasksAndPrintsItsCounts() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        Proc.Result r = Checkout.jbang(c.env(), "submit", "wordcount", "--json", "--", "--keep-running", "--words", "300", "--seed", "7");
        assertThat(r.exit()).as("%s", r).isZero();
        JsonNode submitted = JSON.readTree(r.out());
        String jobId = submitted.get("jobId").asText();
        assertThat(submitted.get("state").asText()).isEqualTo("RUNNING");
        assertThat(submitted.get("job").asText()).isEqualTo("word-count");

        JsonNode job = RestProbe.get(c.restUrl(), "/jobs/" + jobId);
        assertThat(job.get("state").asText()).isEqualTo("RUNNING");
        assertThat(job.get("vertices")).isNotEmpty().allSatisfy(v -> assertThat(v.get("status").asText()).isEqualTo("RUNNING"));
        // the job stays RUNNING after its 300 words, and its counts reach the TaskManager's stdout
        String lastWord = statelab.jobs.WordCount.word(7, 3, 299);
        RestProbe.await("the last word's count printed", java.time.Duration.ofSeconds(30),
                () -> read(c.taskManagerOut()).contains("(" + lastWord + ","));
        assertThat(RestProbe.jobState(c.restUrl(), jobId)).isEqualTo("RUNNING");
    }

    @Test
    void sumJobFinishesAndItsExactlyOnceOutputPassesTheVerifier() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        Path output = Checkout.TARGET.resolve("it-sum-output");
        deleteTree(output);
        InProcess.Result r = InProcess.run(new Submit(), "sum-job", "--rest-url", c.restUrl(), "--wait", "finished", "--timeout", "120s",
                "--json", "--", "--output", output.toString());
        assertThat(r.exit()).as("%s", r).isZero();
        assertThat(JSON.readTree(r.out()).get("state").asText()).isEqualTo("FINISHED");

        List<String> lines = committedLines(output);
        assertThat(lines).hasSize(20_001);
        assertThat(lines.get(0)).isEqualTo("0 10");
        assertThat(lines.get(lines.size() - 1)).isEqualTo("20000 1000");
        // the verifier agrees on the real output: one line per record, in order, each the running sum
        SumOutput.Report report = SumOutput.verify(output, SumOutput.Expectation.DEFAULTS);
        assertThat(report.verdict()).as("%s", report.problems()).isEqualTo(SumOutput.OK);
        assertThat(report.lines()).isEqualTo(20_001);
    }

    @Test
    void theSumJobCommandRunsTheJobToItsEndAndFindsItsOutputExactlyOnceAndATamperedCopyBroken() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        Path output = Checkout.TARGET.resolve("it-sum-job-command");
        deleteTree(output);
        InProcess.Result r = InProcess.run(new SumJobCommand(), "--rest-url", c.restUrl(), "--records", "3000", "--output",
                output.toString(), "--json");
        assertThat(r.exit()).as("%s", r).isZero();
        JsonNode verified = JSON.readTree(r.out());
        assertThat(verified.get("verdict").asText()).isEqualTo("EXACTLY_ONCE_OK");
        assertThat(verified.get("lines").asLong()).isEqualTo(3001);
        assertThat(verified.get("expectedLines").asLong()).isEqualTo(3001);
        assertThat(verified.get("failures").asInt()).isZero();
        assertThat(verified.get("uncommitted")).isEmpty();

        // the same output with one committed line written twice, as a replay after a restore would: found, with its line
        Path copy = Checkout.TARGET.resolve("it-sum-job-command-duplicated");
        deleteTree(copy);
        Files.createDirectories(copy);
        List<Path> parts;
        try (Stream<Path> files = Files.list(output)) {
            parts = files.filter(p -> p.getFileName().toString().startsWith("sum-")).sorted(Comparator.comparingLong(JobsIT::partCounter)).toList();
        }
        for (Path part : parts) {
            Files.copy(part, copy.resolve(part.getFileName()));
        }
        Path last = copy.resolve(parts.get(parts.size() - 1).getFileName());
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(last));
        lines.add(1, lines.get(0)); // right after itself: a duplicate, not a step back
        Files.write(last, lines);
        InProcess.Result broken = InProcess.run(new SumJobCommand(), "--verify", copy.toString(), "--records", "3000");
        assertThat(broken.exit()).as("%s", broken).isEqualTo(ExitCode.NOT_EXACTLY_ONCE.code);
        assertThat(broken.out().lines().toList()).singleElement().satisfies(line -> assertThat(line)
                .startsWith("EXACTLY_ONCE_BROKEN ")
                .contains(last.getFileName() + ":2")
                .contains("index " + lines.get(0).split(" ")[0] + " was already written")
                .contains("1 duplicate(s)"));
    }

    @Test
    void aJobJbangNeverBuiltIsBuiltOnItsFirstSubmit() throws Exception {
        // as on a fresh machine: an empty JBang cache and no jar cache of StateLab's own
        TestCluster.Instance c = TestCluster.get();
        Path jbangCache = Files.createTempDirectory(Checkout.TARGET, "cold-jbang-cache-");
        Path home = Files.createTempDirectory(Checkout.TARGET, "cold-statelab-home-");
        Proc.Result r = Checkout.jbang(Map.of("JBANG_CACHE_DIR", jbangCache.toString(), "STATELAB_HOME", home.toString(),
                "STATELAB_REST_URL", c.restUrl()), "submit", "word-count", "--json", "--", "--words", "100");
        assertThat(r.exit()).as("%s", r).isZero();
        JsonNode submitted = JSON.readTree(r.out());
        assertThat(submitted.get("state").asText()).isIn("RUNNING", "FINISHED");
        try (Stream<Path> jars = Files.list(home.resolve("jars"))) {
            assertThat(jars.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith("word-count-") && n.endsWith(".jar"));
        }
    }

    @Test
    void unknownJobsMissingJarsAndRejectedArgumentsAreClearErrors() {
        TestCluster.Instance c = TestCluster.get();
        InProcess.Result unknown = InProcess.run(new Submit(), "no-such-job", "--rest-url", c.restUrl());
        assertThat(unknown.exit()).isEqualTo(ExitCode.NOT_FOUND.code);
        assertThat(unknown.errLines()).singleElement().asString().contains("unknown job 'no-such-job'").contains("carts, sum-job, word-count");

        InProcess.Result noJar = InProcess.run(new Submit(), "--jar", "target/no-such.jar", "--rest-url", c.restUrl());
        assertThat(noJar.exit()).isEqualTo(ExitCode.NOT_FOUND.code);
        assertThat(noJar.errLines()).singleElement().asString().contains("jar not found");

        InProcess.Result both = InProcess.run(new Submit(), "word-count", "--jar", "x.jar");
        assertThat(both.exit()).isEqualTo(ExitCode.USAGE.code);

        InProcess.Result withoutDashDash = InProcess.run(new Submit(), "word-count", "extra");
        assertThat(withoutDashDash.exit()).isEqualTo(ExitCode.USAGE.code);
        assertThat(withoutDashDash.errLines()).singleElement().asString().contains("go after --");

        InProcess.Result rejected = InProcess.run(new Submit(), "word-count", "--rest-url", c.restUrl(), "--", "--no-such-flag");
        assertThat(rejected.exit()).as("%s", rejected).isEqualTo(ExitCode.JOB_FAILED.code);
        assertThat(rejected.errLines()).singleElement().asString().contains("could not start word-count").contains("no-such-flag");
    }

    @Test
    void aJobThatNeedsMoreSlotsThanTheClusterHasIsReportedNotWaitedOn() {
        TestCluster.Instance c = TestCluster.get();
        InProcess.Result r = InProcess.run(new Submit(), "word-count", "--rest-url", c.restUrl(), "-p", "3", "--json", "--",
                "--keep-running");
        assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.NO_SLOTS.code);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).singleElement().asString().containsPattern("(waits for|got no) task slots").contains("free of 2");
        // and the job it gave up on does not linger, waiting to grab slots later
        for (JsonNode job : RestProbe.get(c.restUrl(), "/jobs/overview").get("jobs")) {
            assertThat(job.get("state").asText()).isIn("CANCELED", "FINISHED", "FAILED");
        }
    }

    /** The lines of the finished part files, in part order (in-progress files are hidden dot files). */
    static List<String> committedLines(Path dir) throws IOException {
        List<Path> parts;
        try (Stream<Path> files = Files.list(dir)) {
            parts = files.filter(p -> p.getFileName().toString().startsWith("sum-") && p.getFileName().toString().endsWith(".txt"))
                    .sorted(Comparator.comparingLong(JobsIT::partCounter)).toList();
        }
        List<String> lines = new ArrayList<>();
        for (Path p : parts) {
            lines.addAll(Files.readAllLines(p));
        }
        return lines;
    }

    private static long partCounter(Path p) {
        String name = p.getFileName().toString();
        String base = name.substring(0, name.length() - ".txt".length());
        return Long.parseLong(base.substring(base.lastIndexOf('-') + 1));
    }

    static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, java.nio.charset.StandardCharsets.ISO_8859_1) : "";
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (Stream<Path> walk = Files.walk(dir)) {
                walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
