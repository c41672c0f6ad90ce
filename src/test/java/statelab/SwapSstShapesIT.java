package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.SstFileReader;
import org.rocksdb.SstFileReaderIterator;
import statelab.cli.ExitCode;
import statelab.savepoint.SavepointLayout;
import statelab.savepoint.SavepointLayout.StateFile;
import statelab.savepoint.SstFile;
import statelab.testing.Checkout;
import statelab.testing.DirectoryFingerprint;
import statelab.testing.InProcess;
import statelab.testing.Proc;
import statelab.testing.RestProbe;
import statelab.testing.TestCluster;

/**
 * swap-sst on real native savepoints of several shapes: parallelism 1 and 2, 3- and 4-letter words, Integer
 * and Long counts, state small enough to be inlined in _metadata (the OPTIONS file is then the largest file),
 * and state spread over several SSTs. Each time: exactly the last N entries in key order change, nothing else
 * in the savepoint does, and Flink's own RocksDB reads the new file.
 */
@ExtendWith(TestCluster.class)
class SwapSstShapesIT {
    static final ObjectMapper JSON = new ObjectMapper();
    static final byte[] ZEROS = new byte[8];

    @AfterEach
    void freeTheSlots() {
        RestProbe.cancelAll(TestCluster.get().restUrl());
    }

    record Entry(String key, String value) {}

    @Test
    void parallelismOneThreeLetterWordsIntegerCounts() throws Exception {
        assertSwapChangesOnlyTheLastEntries(savepointOf(1, Duration.ZERO), 5, List.of());
    }

    @Test
    void parallelismTwoEitherSubtask() throws Exception {
        Path savepoint = savepointOf(2, Duration.ZERO);
        assertThat(SavepointLayout.load(savepoint).files().stream().map(StateFile::subtask).distinct()).containsExactlyInAnyOrder(0, 1);
        JsonNode first = assertSwapChangesOnlyTheLastEntries(savepoint, 5, List.of());
        assertThat(first.get("subtask").asInt()).isZero();
        JsonNode second = assertSwapChangesOnlyTheLastEntries(savepoint, 3, List.of("--subtask", "1"));
        assertThat(second.get("subtask").asInt()).isEqualTo(1);
    }

    @Test
    void fourLetterWordsLongCounts() throws Exception {
        JsonNode r = assertSwapChangesOnlyTheLastEntries(savepointOf(1, Duration.ZERO, "--letters", "4", "--count-type", "long"), 5, List.of());
        for (JsonNode c : r.get("changed")) {
            assertThat(c.get("key").asText()).as("decoded 4-letter key").matches("[a-z]{4} \\(key group \\d+\\)");
            assertThat(c.get("oldHex").asText()).as("8-byte Long count").hasSize(16);
            assertThat(Long.parseLong(c.get("oldValue").asText())).isPositive();
            assertThat(c.get("newValue").asText()).isEqualTo("0");
        }
    }

    @Test
    void smallStateInlinedInMetadataWhereTheLargestFileIsOptions() throws Exception {
        Path savepoint = savepointOf(1, Duration.ZERO, "--words", "60");
        SavepointLayout layout = SavepointLayout.load(savepoint);
        assertThat(layout.files()).filteredOn(f -> f.kind() == SavepointLayout.Kind.SST).isNotEmpty().allMatch(StateFile::inline);

        Map<String, String> before = DirectoryFingerprint.of(savepoint);
        InProcess.Result seedRule = InProcess.run(new SwapSst(), savepoint.toString(), "--largest");
        assertThat(seedRule.exit()).as("%s", seedRule).isEqualTo(ExitCode.BAD_STATE.code);
        assertThat(seedRule.errLines()).singleElement().asString().contains("OPTIONS").contains("not an SST");
        assertThat(DirectoryFingerprint.of(savepoint)).isEqualTo(before);

        JsonNode r = assertSwapChangesOnlyTheLastEntries(savepoint, 5, List.of());
        assertThat(r.get("inline").asBoolean()).isTrue();
    }

    @Test
    void stateSpreadOverSeveralSstsTheNewestWithEnoughEntriesIsChosen() throws Exception {
        // 2,000 words a second for 20 s, savepoint after about two 1 s checkpoints: each checkpoint flushes an SST,
        // and there are fewer than the 4 level-0 files at which RocksDB would compact them into one
        Path savepoint = savepointOf(1, Duration.ofMillis(2500), "--rate", "2000", "--words", "40000");
        Path copy = Files.createTempDirectory(Checkout.TARGET, "several-ssts-");
        copyTree(savepoint, copy);
        List<StateFile> newestFirst = SavepointLayout.load(savepoint).files().stream()
                .filter(f -> f.kind() == SavepointLayout.Kind.SST)
                .sorted(java.util.Comparator.comparingLong(StateFile::fileNumber).reversed()).toList();
        assertThat(newestFirst).hasSizeGreaterThanOrEqualTo(2);
        List<Integer> entries = new ArrayList<>();
        for (StateFile f : newestFirst) {
            entries.add(read(materialize(f, "count")).size());
        }

        JsonNode r = assertSwapChangesOnlyTheLastEntries(savepoint, 5, List.of());
        assertThat(r.get("rocksdbName").asText()).isEqualTo(newestFirst.get(firstWithAtLeast(entries, 5)).rocksdbName());

        // asking for more entries than the newest SST holds takes the newest one that has them, or, when none
        // has, the one holding the most, all of whose entries change (with a warning)
        int more = entries.get(0) + 1;
        int older = firstWithAtLeast(entries, more);
        if (older > 0) {
            JsonNode o = assertSwapChangesOnlyTheLastEntries(copy, more, List.of());
            assertThat(o.get("rocksdbName").asText()).isEqualTo(newestFirst.get(older).rocksdbName());
        } else {
            int most = entries.stream().max(Integer::compare).orElseThrow();
            JsonNode o = assertSwapChangesOnlyTheLastEntries(copy, more, most, List.of());
            assertThat(o.get("rocksdbName").asText()).isEqualTo(newestFirst.get(entries.indexOf(most)).rocksdbName());
        }
    }

    /**
     * Savepoints of tables Flink's defaults do not write (the job's RocksDB told another format_version and
     * compression, and more key groups than 128: a 2-byte key-group prefix), rewritten by the block engine in
     * both its modes and read back by Flink's RocksDB. An uncompressed block cannot hold a longer value at its old
     * length: same-size refuses it and leaves the savepoint as it was.
     */
    @ParameterizedTest(name = "format_version {0}, {1}, max parallelism {2}")
    @CsvSource({"2, snappy, 128", "3, none, 256", "4, snappy, 4096"})
    void tablesOfOtherShapesAreRewrittenByTheBlockEngine(int formatVersion, String compression, int maxParallelism) throws Exception {
        Path savepoint = savepointOf(1, Duration.ZERO, "--sst-format-version", Integer.toString(formatVersion),
                "--sst-compression", compression, "--max-parallelism", Integer.toString(maxParallelism));
        StateFile newest = SavepointLayout.load(savepoint).files().stream().filter(f -> f.kind() == SavepointLayout.Kind.SST)
                .max(java.util.Comparator.comparingLong(StateFile::fileNumber)).orElseThrow();
        SstFile.Info info = SstFile.inspect(newest);
        assertThat(info.formatVersion()).as("the job's RocksDB wrote what it was told").isEqualTo(formatVersion);
        assertThat(info.compression()).isEqualTo(compression.equals("none") ? "NoCompression" : "Snappy");

        Path block = Files.createTempDirectory(Checkout.TARGET, "shape-block-");
        copyTree(savepoint, block);
        JsonNode r = assertSwapChangesOnlyTheLastEntries(block, 5, List.of("--mode", "block"));
        int prefixBytes = maxParallelism > 128 ? 2 : 1;
        for (JsonNode c : r.get("changed")) {
            int keyGroup = Integer.parseInt(c.get("key").asText().replaceAll("^.* \\(key group (\\d+)\\)$", "$1"));
            assertThat(keyGroup).isLessThan(maxParallelism);
            assertThat(Integer.parseInt(c.get("keyHex").asText().substring(0, 2 * prefixBytes), 16)).as("key-group prefix")
                    .isEqualTo(keyGroup);
        }

        Path same = Files.createTempDirectory(Checkout.TARGET, "shape-same-");
        copyTree(savepoint, same);
        if (compression.equals("none")) {
            Map<String, String> before = DirectoryFingerprint.of(same);
            InProcess.Result refused = InProcess.run(new SwapSst(), same.toString(), "--mode", "same-size");
            assertThat(refused.exit()).as("%s", refused).isEqualTo(ExitCode.BAD_STATE.code);
            assertThat(refused.errLines()).singleElement().asString().contains("stored uncompressed").contains("nothing written");
            assertThat(DirectoryFingerprint.of(same)).isEqualTo(before);
        } else {
            JsonNode s = assertSwapChangesOnlyTheLastEntries(same, 5, List.of("--mode", "same-size"));
            assertThat(s.get("bytesAfter").asLong()).isEqualTo(s.get("bytesBefore").asLong());
        }
    }

    @Test
    void blockModeChangesOnlyTheLastEntriesOfAWordCountSavepoint() throws Exception {
        Path savepoint = savepointOf(1, Duration.ofMillis(1500), "--rate", "4000", "--words", "20000");
        JsonNode r = assertSwapChangesOnlyTheLastEntries(savepoint, 5, List.of("--mode", "block"));
        assertThat(r.get("dryRun").asBoolean()).isFalse();
    }

    @Test
    void aJobWithFewerKeysThanAskedForHasAllItsEntriesChangedAndIsToldSo() throws Exception {
        // 3 words of one letter: at most 3 keys, fewer than the 5 entries swap-sst changes by default
        Path savepoint = savepointOf(1, Duration.ofMillis(500), "--letters", "1", "--words", "3");
        List<StateFile> ssts = SavepointLayout.load(savepoint).files().stream().filter(f -> f.kind() == SavepointLayout.Kind.SST).toList();
        int most = 0;
        for (StateFile f : ssts) {
            most = Math.max(most, read(materialize(f, "few")).size());
        }
        assertThat(most).as("keys of the job").isBetween(1, 3);
        assertSwapChangesOnlyTheLastEntries(savepoint, 5, most, List.of());
    }

    private static int firstWithAtLeast(List<Integer> entries, int n) {
        for (int i = 0; i < entries.size(); i++) {
            if (entries.get(i) >= n) {
                return i;
            }
        }
        return -1;
    }

    /** A native savepoint of a running word count with the given parallelism and job arguments. */
    static Path savepointOf(int parallelism, Duration settle, String... jobArgs) throws Exception {
        TestCluster.Instance c = TestCluster.get();
        List<String> args = new ArrayList<>(List.of("word-count", "-p", Integer.toString(parallelism), "--rest-url", c.restUrl(), "--",
                "--keep-running"));
        args.addAll(List.of(jobArgs));
        InProcess.Result submitted = InProcess.run(new Submit(), args.toArray(String[]::new));
        assertThat(submitted.exit()).as("%s", submitted).isZero();
        Thread.sleep(settle.toMillis());
        InProcess.Result sp = InProcess.run(new Savepoint(), submitted.out().strip(), "--rest-url", c.restUrl());
        assertThat(sp.exit()).as("%s", sp).isZero();
        return Path.of(sp.out().strip());
    }

    /**
     * Runs swap-sst on {@code savepoint}, then checks: the target SST (file or inlined) holds the same keys in the
     * same order, the last {@code n} values are the new bytes and all others unchanged; every other state file
     * is byte-identical; Flink's RocksDB reads the new SST and verifies its checksums.
     */
    static JsonNode assertSwapChangesOnlyTheLastEntries(Path savepoint, int n, List<String> options) throws Exception {
        return assertSwapChangesOnlyTheLastEntries(savepoint, n, n, options);
    }

    /**
     * The same, when {@code asked} entries are asked for and the target holds only {@code n}: all n change, and
     * swap-sst says so in one warning.
     */
    static JsonNode assertSwapChangesOnlyTheLastEntries(Path savepoint, int asked, int n, List<String> options) throws Exception {
        Path before = Files.createTempDirectory(Checkout.TARGET, "savepoint-before-");
        copyTree(savepoint, before);
        List<String> args = new ArrayList<>(List.of(savepoint.toString(), "--last", Integer.toString(asked), "--json"));
        args.addAll(options);
        InProcess.Result r = InProcess.run(new SwapSst(), args.toArray(String[]::new));
        assertThat(r.exit()).as("%s", r).isZero();
        JsonNode result = JSON.readTree(r.out());
        assertThat(result.get("changed")).hasSize(n);
        if (n < asked) {
            assertThat(r.errLines()).as("%s", r).anySatisfy(l -> assertThat(l).startsWith("warning: ")
                    .contains("holds only " + n + " values: changing all " + n + " of them, not " + asked));
        }
        String rocksdbName = result.get("rocksdbName").asText();
        int subtask = result.get("subtask").asInt();

        StateFile oldFile = find(SavepointLayout.load(before), rocksdbName, subtask);
        StateFile newFile = find(SavepointLayout.load(savepoint), rocksdbName, subtask);
        Path oldSst = materialize(oldFile, "old");
        Path newSst = materialize(newFile, "new");
        List<Entry> oldEntries = read(oldSst);
        List<Entry> newEntries = read(newSst);
        assertThat(newEntries).hasSameSizeAs(oldEntries);
        String zeros = HexFormat.of().formatHex(ZEROS);
        for (int i = 0; i < oldEntries.size(); i++) {
            assertThat(newEntries.get(i).key()).as("key %d", i).isEqualTo(oldEntries.get(i).key());
            String expected = i >= oldEntries.size() - n ? zeros : oldEntries.get(i).value();
            assertThat(newEntries.get(i).value()).as("value %d of %d", i, oldEntries.size()).isEqualTo(expected);
        }
        for (int i = 0; i < n; i++) {
            assertThat(result.get("changed").get(i).get("keyHex").asText()).isEqualTo(oldEntries.get(oldEntries.size() - n + i).key());
        }

        // nothing else changed: other files byte-identical, other inlined files' bytes identical
        Map<String, String> fpBefore = DirectoryFingerprint.of(before);
        Map<String, String> fpAfter = DirectoryFingerprint.of(savepoint);
        String changedFile = newFile.inline() ? SavepointLayout.METADATA : newFile.fileName();
        fpBefore.keySet().stream().filter(f -> !f.equals(changedFile) && !f.startsWith("_statelab"))
                .forEach(f -> assertThat(fpAfter.get(f)).as("%s unchanged", f).isEqualTo(fpBefore.get(f)));
        SavepointLayout after = SavepointLayout.load(savepoint);
        for (StateFile f : SavepointLayout.load(before).files()) {
            if (f.inline() && !(f.rocksdbName().equals(rocksdbName) && f.subtask() == subtask)) {
                assertThat(find(after, f.rocksdbName(), f.subtask()).inlineBytes()).as("inlined %s", f.describe()).isEqualTo(f.inlineBytes());
            }
        }

        // Flink's own RocksDB (frocksdbjni 8.10) reads every entry of the new file and its checksums hold
        Proc.Result flink = Checkout.jbang(Map.of(), "src/test/jbang/ReadSstWithFlinkRocksDB.java", newSst.toString(), Integer.toString(n));
        assertThat(flink.exit()).as("%s", flink).isZero();
        JsonNode read = JSON.readTree(flink.out());
        assertThat(read.get("entries").asLong()).isEqualTo(oldEntries.size());
        assertThat(read.get("last")).hasSize(n).allSatisfy(e -> assertThat(e.get("value").asText()).isEqualTo(zeros));
        return result;
    }

    static StateFile find(SavepointLayout layout, String rocksdbName, int subtask) {
        return layout.files().stream().filter(f -> f.rocksdbName().equals(rocksdbName) && f.subtask() == subtask).findFirst()
                .orElseThrow(() -> new AssertionError("no " + rocksdbName + " of subtask " + subtask + " in " + layout.dir()));
    }

    /** The SST as a file: itself, or its inlined bytes written out. */
    static Path materialize(StateFile f, String tag) throws Exception {
        if (!f.inline()) {
            return f.path();
        }
        Path p = Files.createTempFile(Checkout.TARGET, tag + "-", ".sst");
        Files.write(p, f.inlineBytes());
        return p;
    }

    static List<Entry> read(Path sst) throws Exception {
        HexFormat hex = HexFormat.of();
        List<Entry> entries = new ArrayList<>();
        try (Options o = new Options(); SstFileReader r = new SstFileReader(o); ReadOptions ro = new ReadOptions()) {
            r.open(sst.toString());
            try (SstFileReaderIterator it = r.newIterator(ro)) {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    entries.add(new Entry(hex.formatHex(it.key()), hex.formatHex(it.value())));
                }
                it.status();
            }
        }
        return entries;
    }

    static void copyTree(Path from, Path to) throws Exception {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
