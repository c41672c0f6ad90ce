package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statelab.cli.ExitCode;
import statelab.jobs.Carts;
import statelab.savepoint.SavepointLayout;
import statelab.savepoint.SavepointLayout.StateFile;
import statelab.savepoint.SstFile;
import statelab.testing.Checkout;
import statelab.testing.DirectoryFingerprint;
import statelab.testing.InProcess;
import statelab.testing.RestProbe;
import statelab.testing.TestCluster;

/**
 * The shopping-carts job on the real cluster: the state shapes real jobs write (several keyed states, MapState,
 * ListState merge operands, deletion tombstones), and what swap-sst and resume make of them today.
 */
@ExtendWith(TestCluster.class)
class StateShapesIT {
    static Path savepoint;

    @BeforeAll
    static void takeSavepoint() throws Exception {
        TestCluster.Instance c = TestCluster.get();
        InProcess.Result submitted = InProcess.run(new Submit(), "carts", "--rest-url", c.restUrl(), "--", "--keep-running");
        assertThat(submitted.exit()).as("%s", submitted).isZero();
        String jobId = submitted.out().strip();
        // all 20,000 events applied: the job prints one line per checkout, ~2,000 in all; wait for the state to settle
        savepoint = RestProbe.awaitValue("a savepoint holding all three states as SST files", java.time.Duration.ofSeconds(60), () -> {
            InProcess.Result sp = InProcess.run(new Savepoint(), jobId, "--rest-url", c.restUrl());
            assertThat(sp.exit()).as("%s", sp).isZero();
            return Path.of(sp.out().strip());
        }, p -> infos(p).values().stream().map(SstFile.Info::columnFamily).distinct().count() == 3);
        RestProbe.cancelAll(c.restUrl());
    }

    @AfterEach
    void freeTheSlots() {
        RestProbe.cancelAll(TestCluster.get().restUrl());
    }

    /** Every SST of the savepoint (inlined ones written out) and what its properties say. */
    static Map<StateFile, SstFile.Info> infos(Path savepoint) {
        Map<StateFile, SstFile.Info> infos = new HashMap<>();
        try {
            for (StateFile f : SavepointLayout.load(savepoint).files()) {
                if (f.kind() == SavepointLayout.Kind.SST) {
                    infos.put(f, SstFile.inspect(SwapSstShapesIT.materialize(f, "shape")));
                }
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
        return infos;
    }

    @Test
    void theCartsJobWritesThreeStatesWithTombstonesAndMergeOperands() {
        Map<StateFile, SstFile.Info> infos = infos(savepoint);
        assertThat(infos.values()).extracting(SstFile.Info::columnFamily).contains(Carts.CART, Carts.RECENT, Carts.ORDERS);
        assertThat(infos.values()).as("a cart removed from or cleared: deletions")
                .anySatisfy(i -> assertThat(i.deletions()).isPositive());
        assertThat(infos.values()).filteredOn(i -> i.columnFamily().equals(Carts.RECENT)).as("ListState adds: merge operands")
                .anySatisfy(i -> assertThat(i.mergeOperands()).isPositive());
    }

    @Test
    void aStateIsPickedByNameAndItsTamperIsDetectedAtRestore() throws Exception {
        Path copy = copy("orders-");
        // --mode full: a new table (new unique ID, new size), which RocksDB refuses at open whatever the sizes
        InProcess.Result swapped = InProcess.run(new SwapSst(), copy.toString(), "--state", Carts.ORDERS, "--mode", "full", "--json");
        assertThat(swapped.exit()).as("%s", swapped).isZero();
        JsonNode s = PipelineIT.JSON.readTree(swapped.out());
        assertThat(s.get("columnFamily").asText()).isEqualTo(Carts.ORDERS);
        assertThat(s.get("changed")).hasSize(5);

        InProcess.Result resumed = InProcess.run(new Resume(), copy.toString(), "--rest-url", TestCluster.get().restUrl(), "--json");
        assertThat(resumed.exit()).as("%s", resumed).isEqualTo(ExitCode.RESTORE_FAILED.code);
        assertThat(PipelineIT.JSON.readTree(resumed.out()).get("rootCause").asText()).matches(PipelineIT.ROCKSDB_DETECTED);
    }

    @Test
    void inFullModeAStateWhoseSstHoldsTombstonesIsRefusedAndLeftAsItWas() throws Exception {
        // --mode full goes through SstFileReader, which would drop tombstones and merge operands
        for (String state : new String[] {Carts.CART, Carts.RECENT}) {
            Path copy = copy(state + "-");
            Map<String, String> before = DirectoryFingerprint.of(copy);
            InProcess.Result r = InProcess.run(new SwapSst(), copy.toString(), "--state", state, "--mode", "full");
            assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.BAD_STATE.code);
            assertThat(r.errLines()).singleElement().asString().contains("deletion tombstone(s)").contains("not rewritten");
            assertThat(DirectoryFingerprint.of(copy)).isEqualTo(before);
        }
    }

    @Test
    void inBlockModeStatesWithTombstonesAndMergeOperandsAreRewrittenWholeAndTheTamperIsDetected() throws Exception {
        for (String state : new String[] {Carts.CART, Carts.RECENT}) {
            Path copy = copy(state + "-block-");
            InProcess.Result r = InProcess.run(new SwapSst(), copy.toString(), "--state", state, "--mode", "block", "--json");
            assertThat(r.exit()).as("%s", r).isZero();
            JsonNode s = PipelineIT.JSON.readTree(r.out());
            assertThat(s.get("columnFamily").asText()).isEqualTo(state);
            assertThat(s.get("changed")).hasSize(5);
            StateFile before = SwapSstShapesIT.find(SavepointLayout.load(savepoint), s.get("rocksdbName").asText(), 0);
            StateFile after = SwapSstShapesIT.find(SavepointLayout.load(copy), s.get("rocksdbName").asText(), 0);
            SstFile.Info was = SstFile.inspect(SwapSstShapesIT.materialize(before, "was"));
            SstFile.Info is = SstFile.inspect(SwapSstShapesIT.materialize(after, "is"));
            assertThat(was.hiddenEntries()).as("%s holds tombstones or merge operands", state).isPositive();
            assertThat(is.entries()).isEqualTo(was.entries());
            assertThat(is.deletions()).isEqualTo(was.deletions());
            assertThat(is.mergeOperands()).isEqualTo(was.mergeOperands());

            InProcess.Result resumed = InProcess.run(new Resume(), copy.toString(), "--rest-url", TestCluster.get().restUrl(), "--json");
            JsonNode v = PipelineIT.JSON.readTree(resumed.out());
            // what Flink did, recorded: the table keeps its identity; when its size changed RocksDB sees it at open (by
            // the size the MANIFEST records, or reading the footer where that size puts it); when the re-encoded block
            // happened to compress to its old length (seen once on a clean clone), nothing tells it from the original
            boolean resized = s.get("bytesAfter").asLong() != s.get("bytesBefore").asLong();
            assertThat(resumed.exit()).as("%s", resumed).isEqualTo(resized ? ExitCode.RESTORE_FAILED.code : ExitCode.OK.code);
            if (resized) {
                assertThat(v.get("rootCause").asText()).matches(PipelineIT.ROCKSDB_DETECTED);
            }
            RestProbe.cancelAll(TestCluster.get().restUrl());
        }
    }

    @Test
    void aDryRunDecodesMapAndListStateAsTheJobWroteThem() throws Exception {
        // MapState: one RocksDB entry per map entry (user key after the namespace; value a null flag, then the Integer)
        JsonNode cart = PipelineIT.JSON.readTree(dryRun(Carts.CART).out());
        assertThat(cart.get("changed")).isNotEmpty().allSatisfy(c -> {
            assertThat(c.get("key").asText()).matches("user-\\d+ \\(key group \\d+, map key \\S+\\)");
            assertThat(c.get("oldValue").asText()).matches("-?\\d+");
            assertThat(c.get("newValue").asText()).as("the default 8 bytes: a flag and an int, 3 bytes left over")
                    .isEqualTo("0 (+3 bytes the serializer does not read)");
        });
        // ListState: the Put values the block engine changes are whole lists of Strings, ',' between elements
        JsonNode recent = PipelineIT.JSON.readTree(dryRun(Carts.RECENT).out());
        assertThat(recent.get("changed")).isNotEmpty().allSatisfy(c -> assertThat(c.get("oldValue").asText()).matches("\\[.+\\]"));
    }

    private static InProcess.Result dryRun(String state) throws Exception {
        Path copy = copy(state + "-dry-");
        Map<String, String> before = DirectoryFingerprint.of(copy);
        InProcess.Result r = InProcess.run(new SwapSst(), copy.toString(), "--state", state, "--dry-run", "--json");
        assertThat(r.exit()).as("%s", r).isZero();
        assertThat(DirectoryFingerprint.of(copy)).as("a dry run writes nothing").isEqualTo(before);
        return r;
    }

    @Test
    void anUnknownStateIsNamedWithTheStatesThereAre() throws Exception {
        Path copy = copy("unknown-");
        Map<String, String> before = DirectoryFingerprint.of(copy);
        InProcess.Result r = InProcess.run(new SwapSst(), copy.toString(), "--state", "basket");
        assertThat(r.exit()).as("%s", r).isEqualTo(ExitCode.NOT_FOUND.code);
        assertThat(r.errLines()).singleElement().asString()
                .contains("no keyed state 'basket'").contains("cart, orders, recent (" + Carts.CARTS_UID + ")");
        assertThat(DirectoryFingerprint.of(copy)).isEqualTo(before);
    }

    private static Path copy(String prefix) throws Exception {
        Path copy = Files.createTempDirectory(Checkout.TARGET, "carts-" + prefix);
        SwapSstShapesIT.copyTree(savepoint, copy);
        return copy;
    }
}
