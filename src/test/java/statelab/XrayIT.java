package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statelab.cli.ExitCode;
import statelab.jobs.WordCount;
import statelab.testing.Checkout;
import statelab.testing.DirectoryFingerprint;
import statelab.testing.InProcess;
import statelab.testing.Proc;
import statelab.testing.RestProbe;
import statelab.testing.TestCluster;

/**
 * State X-ray on the real cluster: inspect decodes the counts word-count computed (parallelism 1 and 2, max
 * parallelism 128 and 256, 3- and 4-letter words, native and canonical savepoints); edit → resume --verify gives
 * RESTORED_ALTERED and a savepoint of the restored job differs from the original in exactly the edited keys; each
 * swap-sst mode → resume --verify → the verdict Flink gave, and what diff makes of the swapped savepoint; bad input
 * is one line, an exit code, and nothing written.
 */
@ExtendWith(TestCluster.class)
class XrayIT {
    static final long SEED = 7;
    static final int WORDS = 3000;

    /** One job's savepoints: native and canonical, and the counts the job computed. */
    record Shape(String name, int parallelism, int maxParallelism, int letters, Path nativeSavepoint, Path canonicalSavepoint,
                 Map<String, Long> expected) {}

    static Shape small;
    static Shape wide;

    @BeforeAll
    static void takeSavepoints() {
        small = shape("p1-mp128-3", 1, 128, 3);
        wide = shape("p2-mp256-4", 2, 256, 4);
    }

    @AfterEach
    void freeTheSlots() {
        RestProbe.cancelAll(TestCluster.get().restUrl());
    }

    /** Runs word-count to its last word, then takes a native and a canonical savepoint of it, and cancels it. */
    static Shape shape(String name, int parallelism, int maxParallelism, int letters) {
        String rest = TestCluster.get().restUrl();
        InProcess.Result submitted = InProcess.run(new Submit(), "word-count", "--rest-url", rest, "--parallelism", String.valueOf(parallelism),
                "--", "--keep-running", "--words", String.valueOf(WORDS), "--seed", String.valueOf(SEED), "--letters", String.valueOf(letters),
                "--max-parallelism", String.valueOf(maxParallelism));
        assertThat(submitted.exit()).as("%s", submitted).isZero();
        String jobId = submitted.out().strip();
        Map<String, Long> expected = new TreeMap<>();
        for (long i = 0; i < WORDS; i++) {
            expected.merge(WordCount.word(SEED, letters, i), 1L, Long::sum);
        }
        // the job has counted every word once a savepoint's counts add up to WORDS
        Path nativeSavepoint = RestProbe.awaitValue("a savepoint with all " + WORDS + " words counted", Duration.ofSeconds(60),
                () -> savepoint(rest, jobId, "NATIVE"), p -> counts(p).values().stream().mapToLong(Long::longValue).sum() == WORDS);
        Path canonicalSavepoint = savepoint(rest, jobId, "CANONICAL");
        RestProbe.cancelAll(rest);
        return new Shape(name, parallelism, maxParallelism, letters, nativeSavepoint, canonicalSavepoint, expected);
    }

    static Path savepoint(String rest, String jobId, String format) {
        InProcess.Result sp = InProcess.run(new Savepoint(), jobId, "--rest-url", rest, "--format", format);
        assertThat(sp.exit()).as("%s", sp).isZero();
        return Path.of(sp.out().strip());
    }

    /** word → count, as inspect --entries --json decodes the savepoint's state "count". */
    static Map<String, Long> counts(Path savepoint) {
        Map<String, Long> counts = new TreeMap<>();
        for (JsonNode e : entries(savepoint, "--state", WordCount.STATE_NAME)) {
            assertThat(e.get("note").isNull()).as("decoded: %s", e).isTrue();
            assertThat(counts.put(e.get("key").asText(), e.get("value").asLong())).as("one entry per word: %s", e).isNull();
        }
        return counts;
    }

    static List<JsonNode> entries(Path savepoint, String... args) {
        List<String> all = new ArrayList<>(List.of(savepoint.toString(), "--entries", "--json"));
        all.addAll(List.of(args));
        InProcess.Result r = InProcess.run(new Inspect(), all.toArray(String[]::new));
        assertThat(r.exit()).as("%s", r).isZero();
        List<JsonNode> out = new ArrayList<>();
        r.out().lines().forEach(l -> out.add(json(l)));
        return out;
    }

    static JsonNode json(String line) {
        try {
            return PipelineIT.JSON.readTree(line);
        } catch (Exception e) {
            throw new AssertionError("not JSON: " + line, e);
        }
    }

    @Test
    void inspectDecodesTheCountsTheJobComputedFromNativeAndCanonicalSavepoints() {
        for (Shape s : List.of(small, wide)) {
            assertThat(counts(s.nativeSavepoint())).as("%s native", s.name()).isEqualTo(s.expected());
            assertThat(counts(s.canonicalSavepoint())).as("%s canonical", s.name()).isEqualTo(s.expected());
            // key groups: where Flink puts each key, with 1- or 2-byte prefixes
            for (JsonNode e : entries(s.nativeSavepoint(), "--state", WordCount.STATE_NAME, "--limit", "50")) {
                assertThat(e.get("keyGroup").asInt()).isEqualTo(
                        org.apache.flink.runtime.state.KeyGroupRangeAssignment.assignToKeyGroup(e.get("key").asText(), s.maxParallelism()));
            }
        }
    }

    @Test
    void theSumJobsRunningSumIsOneKeyHoldingItsInitialValueUntilTheFinalRecord() throws Exception {
        // sum-job adds zeros, 1 ms apart, to 10 before its final 990: a savepoint in between holds 10 under its one key
        String rest = TestCluster.get().restUrl();
        Path output = Files.createTempDirectory(Checkout.TARGET, "xray-sum-");
        InProcess.Result submitted = InProcess.run(new Submit(), "sum-job", "--rest-url", rest, "--parallelism", "2",
                "--", "--records", "200000", "--delay-ms", "1", "--output", output.toString());
        assertThat(submitted.exit()).as("%s", submitted).isZero();
        String jobId = submitted.out().strip();
        Path nativeSavepoint = RestProbe.awaitValue("a savepoint holding the running sum", Duration.ofSeconds(60),
                () -> savepoint(rest, jobId, "NATIVE"), p -> !entries(p, "--state", statelab.jobs.SumJob.STATE_NAME).isEmpty());
        Path canonicalSavepoint = savepoint(rest, jobId, "CANONICAL");
        RestProbe.cancelAll(rest);
        for (Path sp : List.of(nativeSavepoint, canonicalSavepoint)) {
            List<JsonNode> sums = entries(sp, "--state", statelab.jobs.SumJob.STATE_NAME);
            assertThat(sums).as("%s", sp).singleElement().satisfies(e -> {
                assertThat(e.get("operator").asText()).isEqualTo(statelab.jobs.SumJob.SUM_UID);
                assertThat(e.get("value").asLong()).isEqualTo(10);
                assertThat(e.get("note").isNull()).isTrue();
            });
        }
        InProcess.Result diff = InProcess.run(new Diff(), nativeSavepoint.toString(), canonicalSavepoint.toString());
        assertThat(diff.exit()).as("%s", diff).isEqualTo(ExitCode.OK.code);
    }

    @Test
    void mapAndListStateDecodeEntryByEntryAndEditAndRestoreAsTheJobWroteThem() throws Exception {
        // carts: MapState (one entry per map entry), ListState (merge operands joined), tombstones hiding cleared carts
        String rest = TestCluster.get().restUrl();
        InProcess.Result submitted = InProcess.run(new Submit(), "carts", "--rest-url", rest, "--", "--keep-running");
        assertThat(submitted.exit()).as("%s", submitted).isZero();
        String jobId = submitted.out().strip();
        // all events applied (the source then idles): two savepoints in a row hold the same state
        Path[] previous = {null};
        Path sp = RestProbe.awaitValue("two savepoints in a row with the same carts", Duration.ofSeconds(90), () -> savepoint(rest, jobId, "NATIVE"),
                p -> {
                    boolean same = previous[0] != null && InProcess.run(new Diff(), previous[0].toString(), p.toString()).exit() == 0
                            && !entries(p, "--state", statelab.jobs.Carts.CART, "--limit", "1").isEmpty();
                    previous[0] = p;
                    return same;
                });
        RestProbe.cancelAll(rest);
        List<JsonNode> cart = entries(sp, "--state", statelab.jobs.Carts.CART);
        assertThat(cart).isNotEmpty().allSatisfy(e -> {
            assertThat(e.get("note").isNull()).as("%s", e).isTrue();
            assertThat(e.get("key").asText()).matches("user-\\d+");
            assertThat(e.get("mapKey").asText()).matches("item-\\d+");
            assertThat(e.get("value").isInt()).as("%s", e).isTrue();
        });
        List<JsonNode> recent = entries(sp, "--state", statelab.jobs.Carts.RECENT);
        assertThat(recent).isNotEmpty().allSatisfy(e -> {
            assertThat(e.get("note").isNull()).as("%s", e).isTrue();
            assertThat(e.get("value").isArray()).as("%s", e).isTrue();
            e.get("value").forEach(item -> assertThat(item.asText()).matches("item-\\d+"));
        });
        // one entry per (user, item): RocksDB's newest version only, whatever the SSTs hold
        assertThat(cart.stream().map(e -> e.get("key").asText() + "/" + e.get("mapKey").asText()).distinct().count()).isEqualTo(cart.size());

        // edit one map entry and one list, restore, and prove the restored job holds both
        JsonNode entry = cart.get(0);
        String user = recent.get(0).get("key").asText();
        Path edited = Files.createTempDirectory(Checkout.TARGET, "xray-carts-edit-").resolve("cart");
        InProcess.Result map = InProcess.run(new Edit(), sp.toString(), "--state", statelab.jobs.Carts.CART, "--set",
                entry.get("key").asText() + "=4242", "--map-key", entry.get("mapKey").asText(), "--out", edited.toString());
        assertThat(map.exit()).as("%s", map).isZero();
        Path both = edited.resolveSibling("both");
        InProcess.Result list = InProcess.run(new Edit(), edited.toString(), "--state", statelab.jobs.Carts.RECENT, "--set",
                user + "=item-901,item-902", "--out", both.toString());
        assertThat(list.exit()).as("%s", list).isZero();
        InProcess.Result diff = InProcess.run(new Diff(), sp.toString(), both.toString(), "--json");
        assertThat(diff.exit()).as("%s", diff).isEqualTo(ExitCode.DIFFERENT.code);
        List<JsonNode> changes = diff.out().lines().map(XrayIT::json).filter(l -> l.get("change").asText().equals("changed")).toList();
        assertThat(changes).hasSize(2);
        assertThat(changes).anySatisfy(c -> {
            assertThat(c.get("mapKey").asText()).isEqualTo(entry.get("mapKey").asText());
            assertThat(c.get("newValue").asInt()).isEqualTo(4242);
        });
        assertThat(changes).anySatisfy(c -> assertThat(c.get("newValue").toString()).isEqualTo("[\"item-901\",\"item-902\"]"));

        InProcess.Result resumed = InProcess.run(new Resume(), both.toString(), "--rest-url", rest, "--verify", "--json");
        assertThat(resumed.exit()).as("%s", resumed).isEqualTo(ExitCode.RESTORED_ALTERED.code);
        assertThat(json(resumed.out().strip()).at("/proof/altered").asInt()).as("%s", resumed).isEqualTo(2);
    }

    /**
     * A command's own JVM (through ./jbang, as a user runs it) logs what Flink's classes say through slf4j-simple:
     * nothing at its default levels, and a line per message on stderr, never stdout, at a level a system property
     * sets. Flink's FileSystem says at INFO, on every start, that Hadoop is not on inspect's classpath.
     */
    @Test
    void flinksLogLinesGoToStderrAtTheLevelsTheCommandsSetOrASystemPropertySets() {
        String sp = small.nativeSavepoint().toString();
        Proc.Result quiet = Checkout.jbang(Map.of(), "inspect", sp);
        assertThat(quiet.exit()).as("%s", quiet).isZero();
        assertThat(quiet.ownErrLines()).as("%s", quiet).isEmpty();

        Proc.Result told = Checkout.jbang(Map.of("JAVA_TOOL_OPTIONS", "-Dorg.slf4j.simpleLogger.log.org.apache.flink.core.fs=info"),
                "inspect", sp);
        assertThat(told.exit()).as("%s", told).isZero();
        assertThat(told.ownErrLines()).as("%s", told).contains("Picked up JAVA_TOOL_OPTIONS: -Dorg.slf4j.simpleLogger.log.org.apache.flink.core.fs=info")
                .anyMatch(l -> l.startsWith("INFO FileSystem - Hadoop is not in the classpath"))
                .noneMatch(l -> l.startsWith("SLF4J"));
        assertThat(told.out()).as("stdout is the same data").isEqualTo(quiet.out()).doesNotContain("FileSystem");
    }

    @Test
    void inspectSummarizesOperatorsStatesAndEveryFile() throws Exception {
        for (Shape s : List.of(small, wide)) {
            for (Path sp : List.of(s.nativeSavepoint(), s.canonicalSavepoint())) {
                InProcess.Result r = InProcess.run(new Inspect(), sp.toString(), "--json");
                assertThat(r.exit()).as("%s", r).isZero();
                JsonNode summary = json(r.out().strip());
                JsonNode counter = null;
                for (JsonNode op : summary.get("operators")) {
                    if (WordCount.COUNTER_UID.equals(op.get("uid").asText())) {
                        counter = op;
                    }
                }
                assertThat(counter).as("the counter in %s", r.out()).isNotNull();
                assertThat(counter.get("parallelism").asInt()).isEqualTo(s.parallelism());
                assertThat(counter.get("maxParallelism").asInt()).isEqualTo(s.maxParallelism());
                assertThat(counter.get("keyGroups")).hasSize(s.parallelism());
                JsonNode count = null;
                for (JsonNode st : counter.get("states")) {
                    if (WordCount.STATE_NAME.equals(st.get("name").asText())) {
                        count = st;
                    }
                }
                assertThat(count).isNotNull();
                assertThat(count.get("kind").asText()).isEqualTo("value");
                assertThat(count.get("keyType").asText()).isEqualTo("String");
                assertThat(count.get("valueType").asText()).isEqualTo("Integer");
                List<String> kinds = new ArrayList<>();
                summary.get("files").forEach(f -> kinds.add(f.get("what").asText()));
                assertThat(kinds).as("every file of %s is accounted for", sp).doesNotContain("unreferenced").contains("metadata");
                assertThat(kinds).contains(sp.equals(s.nativeSavepoint()) ? "sst" : "canonical-keyed-state");
                long filesOnDisk = fileCount(sp);
                assertThat(summary.get("files").findValues("file").stream().filter(f -> !f.isNull()).count()).isEqualTo(filesOnDisk);
            }
        }
    }

    @Test
    void aNativeAndACanonicalSavepointOfTheSameJobHoldTheSameState() {
        for (Shape s : List.of(small, wide)) {
            InProcess.Result r = InProcess.run(new Diff(), s.nativeSavepoint().toString(), s.canonicalSavepoint().toString(), "--json");
            assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.OK.code);
            JsonNode count = total(r, WordCount.STATE_NAME);
            assertThat(count.get("same").asLong()).isEqualTo(s.expected().size());
        }
    }

    @Test
    void anEditIsRestoredAndASavepointOfTheRestoredJobDiffersInExactlyTheEditedKeys() throws Exception {
        Shape s = wide;
        List<String> words = new ArrayList<>(s.expected().keySet());
        String changed = words.get(0);
        String deleted = words.get(words.size() - 1);
        String added = "zzzzz"; // five letters: never drawn by a 4-letter job
        Map<String, String> before = DirectoryFingerprint.of(s.nativeSavepoint());
        Path out = Files.createTempDirectory(Checkout.TARGET, "xray-edit-").resolve("edited");
        InProcess.Result edited = InProcess.run(new Edit(), s.nativeSavepoint().toString(), "--set", changed + "=1000", "--delete", deleted,
                "--set", added + "=7", "--out", out.toString(), "--json");
        assertThat(edited.exit()).as("%s", edited).isZero();
        assertThat(DirectoryFingerprint.of(s.nativeSavepoint())).as("the input is never modified").isEqualTo(before);
        assertThat(json(edited.out().strip()).get("changed")).hasSize(3);

        InProcess.Result resumed = InProcess.run(new Resume(), out.toString(), "--rest-url", TestCluster.get().restUrl(), "--verify", "--json");
        assertThat(resumed.exit()).as("%s", resumed).isEqualTo(ExitCode.RESTORED_ALTERED.code);
        JsonNode v = json(resumed.out().strip());
        assertThat(v.get("verdict").asText()).isEqualTo("RESTORED_ALTERED");
        JsonNode proof = v.get("proof");
        assertThat(proof.get("altered").asInt()).isEqualTo(3);
        Map<String, JsonNode> byKey = new HashMap<>();
        proof.get("keys").forEach(k -> byKey.put(k.get("key").asText(), k));
        assertThat(byKey.get(changed).get("now").asLong()).isEqualTo(1000);
        assertThat(byKey.get(changed).get("original").asLong()).isEqualTo(s.expected().get(changed));
        assertThat(byKey.get(deleted).get("now").isNull()).isTrue();
        assertThat(byKey.get(added).get("now").asLong()).isEqualTo(7);

        // the restored job's own savepoint against the original: exactly the three edited keys differ
        Path after = Path.of(proof.get("savepoint").asText());
        InProcess.Result diff = InProcess.run(new Diff(), s.nativeSavepoint().toString(), after.toString(), "--state", WordCount.STATE_NAME, "--json");
        assertThat(diff.exit()).as("%s", diff).isEqualTo(ExitCode.DIFFERENT.code);
        List<JsonNode> lines = diff.out().lines().map(XrayIT::json).toList();
        Map<String, String> changes = new TreeMap<>();
        lines.stream().filter(l -> !l.get("change").asText().equals("total")).forEach(l -> changes.put(l.get("key").asText(), l.get("change").asText()));
        assertThat(changes).containsExactlyInAnyOrderEntriesOf(Map.of(changed, "changed", deleted, "removed", added, "added"));
        JsonNode total = total(diff, WordCount.STATE_NAME);
        assertThat(total.get("same").asLong()).isEqualTo(s.expected().size() - 2);
    }

    @Test
    void everySwapSstModeGetsAVerdictAndDiffReadsTheSwappedSavepointOrSaysWhichFileItCannotRead() throws Exception {
        String rest = TestCluster.get().restUrl();
        for (String mode : List.of("same-size", "corrupt", "block", "full")) {
            Path copy = copy(small.nativeSavepoint(), "swap-" + mode + "-");
            InProcess.Result swapped = InProcess.run(new SwapSst(), copy.toString(), "--mode", mode, "--value", "00000063", "--json");
            assertThat(swapped.exit()).as("%s: %s", mode, swapped).isZero();
            JsonNode sw = json(swapped.out().strip());

            InProcess.Result diff = InProcess.run(new Diff(), small.nativeSavepoint().toString(), copy.toString(), "--json");
            InProcess.Result resumed = InProcess.run(new Resume(), copy.toString(), "--rest-url", rest, "--verify", "--json");
            JsonNode v = json(resumed.out().strip());
            if (mode.equals("same-size")) {
                // same size, same identity, checksums recomputed: RocksDB reads it, and so does Flink
                assertThat(diff.exit()).as("%s", diff).isEqualTo(ExitCode.DIFFERENT.code);
                long changedKeys = 0;
                for (JsonNode c : sw.get("changed")) {
                    changedKeys += c.get("oldHex").asText().equals("00000063") ? 0 : 1;
                }
                assertThat(total(diff, WordCount.STATE_NAME).get("changed").asLong()).isEqualTo(changedKeys);
                assertThat(resumed.exit()).as("%s", resumed).isEqualTo(ExitCode.RESTORED_ALTERED.code);
                assertThat(v.get("proof").get("altered").asLong()).isEqualTo(changedKeys);
                v.get("proof").get("keys").forEach(k -> assertThat(k.get("now").asInt()).isEqualTo(99));
            } else if (mode.equals("corrupt")) {
                // same size and identity, a block's checksum left wrong: RocksDB reads data blocks only when a key in them
                // is read, and the restored job (no new input) reads none, nor does its savepoint (files are uploaded as
                // they are). So Flink restores it and runs on a file that fails the first read of that block: diff and
                // the verify step read it, and say so
                assertThat(diff.exit()).as("%s", diff).isEqualTo(ExitCode.BAD_STATE.code);
                assertThat(diff.errLines()).singleElement().asString().contains("block checksum mismatch")
                        .contains(sw.get("rocksdbName").asText() + " is savepoint file ");
                assertThat(resumed.exit()).as("%s", resumed).isEqualTo(ExitCode.OK.code);
                assertThat(v.get("verdict").asText()).isEqualTo("RESTORED");
                assertThat(v.get("proof").get("unreadable").asText()).contains("block checksum mismatch");
            } else {
                // RocksDB refuses the file when the database opens: its size or identity is not the MANIFEST's
                assertThat(diff.exit()).as("%s: %s", mode, diff).isEqualTo(ExitCode.BAD_STATE.code);
                assertThat(diff.errLines()).singleElement().asString()
                        .containsPattern("(?i)mismatch|corrupt")
                        .contains(sw.get("rocksdbName").asText() + " is savepoint file ");
                assertThat(resumed.exit()).as("%s: %s", mode, resumed).isEqualTo(ExitCode.RESTORE_FAILED.code);
                assertThat(v.get("rootCause").asText()).matches(PipelineIT.ROCKSDB_DETECTED);
            }
            RestProbe.cancelAll(rest);
        }
    }

    @Test
    void badInputIsOneLineAnExitCodeAndNothingWritten() throws Exception {
        Path sp = small.nativeSavepoint();
        Path parent = sp.getParent();
        List<String> siblings = list(parent);
        Map<String, String> before = DirectoryFingerprint.of(sp);

        Path empty = Files.createTempDirectory(Checkout.TARGET, "xray-empty-");
        expectOneLine(InProcess.run(new Inspect(), empty.toString()), ExitCode.NOT_FOUND, "is not a savepoint");

        Path garbled = copy(sp, "garbled-");
        byte[] metadata = Files.readAllBytes(garbled.resolve("_metadata"));
        Files.write(garbled.resolve("_metadata"), java.util.Arrays.copyOf(metadata, metadata.length / 3));
        expectOneLine(InProcess.run(new Inspect(), garbled.toString()), ExitCode.BAD_STATE, "not readable as Flink checkpoint metadata");

        Path missing = copy(sp, "missing-");
        JsonNode summary = json(InProcess.run(new Inspect(), missing.toString(), "--json").out().strip());
        String sst = null;
        for (JsonNode f : summary.get("files")) {
            if (f.get("what").asText().equals("sst") && !f.get("file").isNull()) {
                sst = f.get("file").asText();
            }
        }
        assertThat(sst).as("an SST stored as a file in %s", summary).isNotNull();
        Files.delete(missing.resolve(sst));
        expectOneLine(InProcess.run(new Inspect(), missing.toString(), "--entries"), ExitCode.NOT_FOUND, sst + " is missing");

        expectOneLine(InProcess.run(new Inspect(), sp.toString(), "--state", "basket"), ExitCode.NOT_FOUND, "no keyed state 'basket'");
        expectOneLine(InProcess.run(new Edit(), sp.toString(), "--state", "basket", "--set", "abc=1"), ExitCode.NOT_FOUND, "no keyed state 'basket'");
        expectOneLine(InProcess.run(new Edit(), sp.toString(), "--set", "abc=many"), ExitCode.USAGE, "'many' is not a valid Integer");
        expectOneLine(InProcess.run(new Edit(), sp.toString(), "--delete", "zzzzzz"), ExitCode.NOT_FOUND, "nothing to delete");
        Path taken = Files.createTempDirectory(Checkout.TARGET, "xray-taken-");
        Map<String, String> takenBefore = DirectoryFingerprint.of(taken);
        expectOneLine(InProcess.run(new Edit(), sp.toString(), "--set", "abc=1", "--out", taken.toString()), ExitCode.CONFLICT, "exists");
        assertThat(DirectoryFingerprint.of(taken)).isEqualTo(takenBefore);
        expectOneLine(InProcess.run(new Diff(), sp.toString(), empty.toString()), ExitCode.NOT_FOUND, "is not a savepoint");

        assertThat(DirectoryFingerprint.of(sp)).as("the savepoint is as it was").isEqualTo(before);
        assertThat(list(parent)).as("no new or half-written directory beside it").isEqualTo(siblings);
    }

    private static void expectOneLine(InProcess.Result r, ExitCode code, String contains) {
        assertThat(r.exit()).as("%s", r).isEqualTo(code.code);
        assertThat(r.errLines()).as("%s", r).singleElement().asString().startsWith("error: ").contains(contains);
        assertThat(r.out()).as("nothing on stdout: %s", r).isEmpty();
    }

    private static JsonNode total(InProcess.Result diff, String state) {
        return diff.out().lines().map(XrayIT::json)
                .filter(l -> l.get("change").asText().equals("total") && l.get("state").asText().equals(state))
                .findFirst().orElseThrow(() -> new AssertionError("no total for " + state + " in " + diff));
    }

    private static Path copy(Path savepoint, String prefix) throws Exception {
        Path copy = Files.createTempDirectory(Checkout.TARGET, "xray-" + prefix);
        SwapSstShapesIT.copyTree(savepoint, copy);
        return copy;
    }

    private static long fileCount(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).count();
        }
    }

    private static List<String> list(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
