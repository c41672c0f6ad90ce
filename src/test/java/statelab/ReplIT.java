package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import statelab.cli.ExitCode;
import statelab.testing.Checkout;
import statelab.testing.Proc;
import statelab.testing.RestProbe;
import statelab.testing.TestCluster;
import statelab.testing.Tmux;

/**
 * The REPL as a person uses it: {@code ./jbang statelab} in a real terminal (a tmux pane), typed at with Tab
 * completion, Ctrl-C and Ctrl-D, on the real cluster; and as a script ({@code repl -f FILE}, or stdin), which
 * must reach the same verdict as the commands piped in a shell.
 */
@ExtendWith(TestCluster.class)
class ReplIT {
    /** ./jbang builds StateLab.java on its first run after a change: minutes on a busy machine. */
    static final Duration START = Duration.ofMinutes(5);
    static final Duration COMMAND = Duration.ofMinutes(3);
    static final Duration QUICK = Duration.ofSeconds(30);
    /** The prompt; capture-pane drops trailing spaces, so an empty prompt line ends in '>'. */
    static final Pattern PROMPT = Pattern.compile("^statelab \\S+>( |$)");
    static final String EMPTY_PROMPT = "statelab \\S+>\\s*";
    static final Pattern JOB_ID = Pattern.compile("^[0-9a-f]{32}$");
    static final String VERDICT_FAILED = "RESTORE_FAILED [0-9a-f]{32}: " + PipelineIT.ROCKSDB_DETECTED;

    @BeforeAll
    static void tmuxIsInstalled() {
        Tmux.requireTmux();
    }

    @Test
    @Timeout(value = 15, unit = java.util.concurrent.TimeUnit.MINUTES)
    void aWholeExperimentTypedWithTabCompletionCarriesItsValuesFromCommandToCommand() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        try (StartedJobs jobs = new StartedJobs(c.restUrl()); Tmux t = repl(c, freshHome("experiment"))) {
            String submitted = run(t, "submit word-count -- --keep-running", COMMAND);
            String jobId = submitted.lines().filter(l -> JOB_ID.matcher(l).matches()).findFirst()
                    .orElseThrow(() -> new AssertionError("submit printed no job id\n" + Tmux.framed(t.screen())));

            // a partial job id and Tab: the line completes to the whole id (the cluster is asked in the background
            // with a budget, so a Tab may offer what it knew before the submit; a person presses Tab again)
            t.type("savepoint " + jobId.substring(0, 6));
            String completed = "savepoint " + jobId;
            int tabs = 0;
            while (!t.lastLine().contains(completed)) {
                assertThat(tabs).as("Tab did not complete %s to %s after %d presses\n%s", jobId.substring(0, 6), jobId, tabs,
                        Tmux.framed(t.screen())).isLessThan(5);
                t.press("Tab");
                tabs++;
                awaitQuietly(t, Duration.ofSeconds(3), s -> lastLine(s).contains(completed));
            }
            System.out.printf("ReplIT: the job id completed after %d Tab press(es)%n", tabs);
            String savepointOut = finish(t, COMMAND);
            String savepoint = singleResultLine(t, savepointOut, "/savepoint-");
            assertThat(Path.of(savepoint, "_metadata")).as("the printed savepoint").isRegularFile();
            Map<String, String> afterSavepoint = vars(t);
            assertThat(afterSavepoint).containsEntry("job", jobId).containsEntry("savepoint", savepoint).containsEntry("verdict", "(not set)");

            String swapped = singleResultLine(t, run(t, "swap-sst", COMMAND), "/savepoint-");
            assertThat(swapped).as("swap-sst rewrites $savepoint in place").isEqualTo(savepoint);

            String resumed = run(t, "resume", COMMAND);
            String verdict = resumed.lines().filter(l -> l.startsWith("RESTORE_FAILED")).findFirst()
                    .orElseThrow(() -> new AssertionError("no RESTORE_FAILED verdict on the screen\n" + Tmux.framed(t.screen())));
            assertThat(verdict).matches(VERDICT_FAILED);
            String resumedJob = verdict.split(" ")[1].replace(":", "");
            assertThat(run(t, "$?", QUICK)).as("$? after resume\n%s", Tmux.framed(t.screen())).contains("unknown command '10'");

            Map<String, String> after = vars(t);
            assertThat(after).as("vars after resume\n%s", Tmux.framed(t.screen()))
                    .containsEntry("rest", c.restUrl())
                    .containsEntry("job", resumedJob)
                    .containsEntry("savepoint", savepoint)
                    .containsEntry("verdict", "RESTORE_FAILED");
            assertThat(RestProbe.jobState(c.restUrl(), jobId)).as("resume canceled the original job").isEqualTo("CANCELED");
            assertThat(RestProbe.jobState(c.restUrl(), resumedJob)).as("the job that could not restore is canceled").isEqualTo("CANCELED");
        }
    }

    @Test
    @Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
    void aFailingCommandPrintsOneErrorAndTheNextCommandWorks() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        try (Tmux t = repl(c, freshHome("failing"))) {
            String failed = run(t, "savepoint not-a-job", QUICK);
            assertThat(failed.lines().filter(l -> !l.isBlank()).toList()).as("%s", Tmux.framed(t.screen())).singleElement().asString()
                    .startsWith("error: ").contains("not-a-job").contains("32 hex digits");
            String unreachable = run(t, "savepoint 00000000000000000000000000000000 --rest-url http://127.0.0.1:1", QUICK);
            assertThat(unreachable.lines().filter(l -> !l.isBlank()).toList()).as("%s", Tmux.framed(t.screen())).singleElement().asString()
                    .startsWith("error: ").contains("cannot reach Flink's REST API");
            assertThat(vars(t)).as("%s", Tmux.framed(t.screen())).containsEntry("rest", c.restUrl()).containsEntry("job", "(not set)");
            assertThat(t.lastLine()).as("the prompt is back").matches(EMPTY_PROMPT);
        }
    }

    @Test
    @Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
    void ctrlCCancelsASavepointWaitAndTheReplGoesOn() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        Path output = Files.createTempDirectory(Checkout.TARGET, "repl-sums-");
        try (StartedJobs jobs = new StartedJobs(c.restUrl()); Tmux t = repl(c, freshHome("ctrl-c"))) {
            // 500 ms per record: the savepoint's barrier queues behind thousands of buffered records, for hours
            String submitted = run(t, "submit sum-job -- --delay-ms 500 --output " + output, COMMAND);
            String jobId = submitted.lines().filter(l -> JOB_ID.matcher(l).matches()).findFirst()
                    .orElseThrow(() -> new AssertionError("submit printed no job id\n" + Tmux.framed(t.screen())));

            int prompts = prompts(t.screen());
            t.enter("savepoint");
            t.await("the savepoint triggered and waiting", COMMAND,
                    s -> afterLastCommand(s).contains("savepoint of job " + jobId + " triggered"));
            Instant pressed = Instant.now();
            t.press("C-c");
            String screen = t.await("the canceled line and the prompt back", QUICK,
                    s -> prompts(s) > prompts && lastLine(s).matches(EMPTY_PROMPT));
            Duration toPrompt = Duration.between(pressed, Instant.now());
            String canceled = between(screen, prompts);
            assertThat(canceled).as("%s", Tmux.framed(screen))
                    .doesNotContain("savepoint completed")
                    .contains("canceled: back at the prompt");
            // the terminal echoes Ctrl-C as ^C, on the line the error then starts
            assertThat(canceled.lines().map(l -> l.replaceFirst("^\\^C", "")).filter(l -> l.startsWith("error:")).toList())
                    .as("%s", Tmux.framed(screen))
                    .singleElement().asString().contains("interrupted");
            assertThat(toPrompt).as("Ctrl-C ends the wait at once").isLessThan(Duration.ofSeconds(10));
            assertThat(RestProbe.jobState(c.restUrl(), jobId)).as("Ctrl-C cancels the wait, not the job").isEqualTo("RUNNING");

            assertThat(vars(t)).as("the REPL goes on after Ctrl-C\n%s", Tmux.framed(t.screen())).containsEntry("job", jobId);
        }
    }

    @Test
    @Timeout(value = 10, unit = java.util.concurrent.TimeUnit.MINUTES)
    void historyIsKeptAcrossRunsAndCtrlDExits() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        Path home = freshHome("history");
        String distinctive = "set job history-" + Long.toHexString(System.nanoTime());
        try (Tmux first = repl(c, home)) {
            run(first, distinctive, QUICK);
            Instant pressed = Instant.now();
            first.press("C-d");
            first.awaitEnd(QUICK);
            System.out.printf("ReplIT: the REPL ended %d ms after Ctrl-D%n", Duration.between(pressed, Instant.now()).toMillis());
            assertThat(first.exitStatus()).as("Ctrl-D after a command that worked: exit 0\n%s", Tmux.framed(first.screen())).isZero();
        }
        assertThat(home.resolve("history")).as("history file in $STATELAB_HOME").isRegularFile();
        assertThat(Files.readString(home.resolve("history"))).contains(distinctive);

        try (Tmux second = repl(c, home)) {
            second.press("Up");
            second.await("Up recalls the last line of the previous run", QUICK,
                    s -> lastLine(s).matches("statelab \\S+> " + Pattern.quote(distinctive) + "\\s*"));
            second.press("C-u", "C-d"); // clear the recalled line; Ctrl-D on an empty line exits
            second.awaitEnd(QUICK);
            assertThat(second.exitStatus()).as("%s", Tmux.framed(second.screen())).isZero();
        }
    }

    @Test
    @Timeout(value = 20, unit = java.util.concurrent.TimeUnit.MINUTES)
    void aScriptReachesTheSameVerdictAsThePipeline() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        String script = """
                # the tamper experiment, one command a line; each takes what the one before it printed
                submit word-count -- --keep-running
                savepoint
                swap-sst
                resume
                """;
        Path file = Files.createTempFile(Checkout.TARGET, "experiment-", ".statelab");
        Files.writeString(file, script);
        try (StartedJobs jobs = new StartedJobs(c.restUrl())) {
            Proc.Result piped = Proc.bash("./jbang submit word-count -- --keep-running | ./jbang savepoint | ./jbang swap-sst | ./jbang resume",
                    Checkout.ROOT, c.env(), Duration.ofMinutes(5));
            assertThat(piped.exit()).as("%s", piped).isEqualTo(ExitCode.RESTORE_FAILED.code);
            String pipedVerdict = lastLine(piped.out());

            Proc.Result fromFile = Checkout.jbang(c.env(), "repl", "-f", file.toString());
            assertThat(fromFile.exit()).as("%s", fromFile).isEqualTo(piped.exit());
            assertThat(firstWord(lastLine(fromFile.out()))).as("%s", fromFile).isEqualTo(firstWord(pipedVerdict));
            assertThat(lastLine(fromFile.out())).matches(VERDICT_FAILED);
            assertThat(fromFile.out().lines().toList()).as("job id, savepoint, savepoint, verdict: %s", fromFile).hasSize(4);
            assertThat(fromFile.ownErrLines()).as("%s", fromFile).containsExactly(
                    "error: " + file + ":5: 'resume' exited 10; the script stops here (--keep-going goes on)");

            Proc.Result fromStdin = Checkout.jbangWithStdin(c.env(), script, "statelab");
            assertThat(fromStdin.exit()).as("%s", fromStdin).isEqualTo(piped.exit());
            assertThat(firstWord(lastLine(fromStdin.out()))).as("%s", fromStdin).isEqualTo(firstWord(pipedVerdict));
            assertThat(lastLine(fromStdin.out())).matches(VERDICT_FAILED);
            assertThat(fromStdin.ownErrLines()).as("%s", fromStdin).containsExactly(
                    "error: <stdin>:5: 'resume' exited 10; the script stops here (--keep-going goes on)");
        }
    }

    // --- the terminal

    /** {@code ./jbang statelab} in a new pane, with the cluster's environment and its own home; at its first prompt. */
    static Tmux repl(TestCluster.Instance c, Path home) {
        Map<String, String> env = new LinkedHashMap<>(c.env());
        env.put("STATELAB_HOME", home.toString());
        Tmux t = Tmux.start(Checkout.ROOT, env, 250, 50, "./jbang", "statelab");
        try {
            t.await("the REPL's first prompt", START, s -> lastLine(s).matches(EMPTY_PROMPT));
            return t;
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
    }

    static Path freshHome(String name) throws Exception {
        return Files.createTempDirectory(Checkout.TARGET, "repl-home-" + name + "-");
    }

    /** Types {@code line}, Enter, and waits for the next prompt; returns what was printed in between. */
    static String run(Tmux t, String line, Duration timeout) {
        t.type(line);
        t.await("'" + line + "' typed", QUICK, s -> lastLine(s).endsWith(line));
        return finish(t, timeout);
    }

    /** Presses Enter on the line typed and waits for the next prompt; returns what was printed in between. */
    static String finish(Tmux t, Duration timeout) {
        int prompts = prompts(t.screen());
        t.press("Enter");
        String screen = t.await("the prompt after '" + lastLine(t.screen()) + "'", timeout,
                s -> prompts(s) > prompts && lastLine(s).matches(EMPTY_PROMPT));
        return between(screen, prompts);
    }

    /** The session's variables as {@code vars} prints them: name → value or "(not set)". */
    static Map<String, String> vars(Tmux t) {
        String printed = run(t, "vars", QUICK);
        Map<String, String> vars = new LinkedHashMap<>();
        Matcher m = Pattern.compile("(?m)^\\$(\\w+)\\s+(.*?)\\s*$").matcher(printed);
        while (m.find()) {
            vars.put(m.group(1), m.group(2));
        }
        assertThat(vars.keySet()).as("vars\n%s", Tmux.framed(t.screen())).contains("rest", "job", "savepoint", "verdict");
        return vars;
    }

    static String singleResultLine(Tmux t, String printed, String containing) {
        List<String> lines = printed.lines().filter(l -> l.startsWith("/") && l.contains(containing)).toList();
        assertThat(lines).as("one line with %s\n%s", containing, Tmux.framed(t.screen())).hasSize(1);
        return lines.get(0).strip();
    }

    /** Lines after the prompt line number {@code prompts} (1-based count) up to the last line, exclusive. */
    static String between(String screen, int prompts) {
        List<String> lines = screen.lines().toList();
        int seen = 0;
        int from = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (PROMPT.matcher(lines.get(i)).find() && ++seen == prompts) {
                from = i + 1;
            }
        }
        return from < 0 ? "" : String.join("\n", lines.subList(from, lines.size() - 1));
    }

    /** What is on the screen after the last prompt line, to the end. */
    static String afterLastCommand(String screen) {
        List<String> lines = screen.lines().toList();
        int last = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (PROMPT.matcher(lines.get(i)).find()) {
                last = i;
            }
        }
        return String.join("\n", lines.subList(last + 1, lines.size()));
    }

    static int prompts(String screen) {
        return (int) screen.lines().filter(l -> PROMPT.matcher(l).find()).count();
    }

    static String lastLine(String text) {
        List<String> lines = text.stripTrailing().lines().toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    static String firstWord(String line) {
        return line.strip().split("\\s+")[0];
    }

    static void awaitQuietly(Tmux t, Duration timeout, java.util.function.Predicate<String> condition) {
        try {
            t.await("", timeout, condition);
        } catch (AssertionError e) {
            // the caller decides
        }
    }

    /**
     * The jobs a test starts: those not running when it began. Closing cancels the ones still running and waits
     * until they are, whatever the test did: the cluster's two slots are shared by every IT.
     */
    static final class StartedJobs implements AutoCloseable {
        private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        private final String restUrl;
        private final Set<String> before = new HashSet<>();

        StartedJobs(String restUrl) {
            this.restUrl = restUrl;
            for (JsonNode job : RestProbe.get(restUrl, "/jobs/overview").get("jobs")) {
                before.add(job.get("jid").asText());
            }
        }

        @Override
        public void close() throws Exception {
            Set<String> canceled = new HashSet<>();
            for (JsonNode job : RestProbe.get(restUrl, "/jobs/overview").get("jobs")) {
                String id = job.get("jid").asText();
                if (!before.contains(id) && !terminal(job.get("state").asText())) {
                    HTTP.send(HttpRequest.newBuilder(URI.create(restUrl + "/jobs/" + id + "?mode=cancel"))
                            .method("PATCH", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.discarding());
                    canceled.add(id);
                }
            }
            RestProbe.await("the jobs this test started are canceled: " + canceled, Duration.ofSeconds(60),
                    () -> canceled.stream().allMatch(id -> terminal(RestProbe.jobState(restUrl, id))));
        }

        private static boolean terminal(String state) {
            return state.equals("FINISHED") || state.equals("CANCELED") || state.equals("FAILED");
        }
    }
}
