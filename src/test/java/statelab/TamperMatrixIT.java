package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import statelab.testing.Checkout;
import statelab.testing.Proc;
import statelab.testing.RestProbe;
import statelab.testing.TestCluster;

/**
 * {@code experiment --matrix} on the real cluster, as a user types it: word-count's last five counts set to 99
 * ({@code --value 00000063}, an int like the counts) by every mode, each on a fresh job and savepoint, and what
 * Flink did with each. The assertions are what was measured on Flink 2.3.0 (frocksdb 8.10); if Flink changes,
 * this test says where.
 */
@ExtendWith(TestCluster.class)
class TamperMatrixIT {
    @AfterEach
    void freeTheSlots() {
        RestProbe.cancelAll(TestCluster.get().restUrl());
    }

    /** The matrix as a user runs it, with {@code extra} options; its rows after a check of their modes. */
    private static JsonNode matrix(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("experiment", "--matrix", "--value", "00000063", "--json"));
        args.addAll(List.of(extra));
        Proc.Result r = Checkout.jbang(TestCluster.get().env(), args.toArray(String[]::new));
        assertThat(r.exit()).as("%s", r).isZero();
        JsonNode rows = PipelineIT.JSON.readTree(r.out());
        List<String> modes = new ArrayList<>();
        rows.forEach(row -> modes.add(row.get("mode").asText()));
        assertThat(modes).containsExactly("none", "full", "block", "same-size", "corrupt");

        JsonNode control = rows.get(0).get("run");
        assertThat(control.get("verdict").asText()).isEqualTo("RESTORED");
        assertThat(control.has("swapSst")).isFalse();

        JsonNode full = rows.get(1).get("run");
        assertThat(full.get("verdict").asText()).isEqualTo("RESTORE_FAILED");
        assertThat(full.at("/resume/rootCause").asText()).matches(PipelineIT.ROCKSDB_DETECTED);
        return rows;
    }

    /** block keeps the table's identity but re-encodes the changed block at whatever length it compresses to. */
    private static void blockIsSeenWhenResized(JsonNode rows, String whenSameSize) {
        // another length is seen at open; the same length (possible, with values shaped like the old) would not be
        JsonNode block = rows.get(2).get("run");
        boolean resized = block.at("/swapSst/bytesAfter").asLong() != block.at("/swapSst/bytesBefore").asLong();
        assertThat(block.get("verdict").asText()).isEqualTo(resized ? "RESTORE_FAILED" : whenSameSize);
        if (resized) {
            assertThat(block.at("/resume/rootCause").asText()).matches(PipelineIT.ROCKSDB_DETECTED);
        }
    }

    @Test
    void verifiedTheSameSizeTamperIsRestoredAltered_andACorruptBlockNoReadTouchesIsRestoredToo() throws Exception {
        JsonNode rows = matrix();
        blockIsSeenWhenResized(rows, "RESTORED_ALTERED");

        // the headline: same size, same unique ID, valid checksums: Flink restores it, and a savepoint of the restored
        // job holds the tampered values
        JsonNode same = rows.get(3).get("run");
        assertThat(same.at("/swapSst/bytesAfter").asLong()).isEqualTo(same.at("/swapSst/bytesBefore").asLong());
        assertThat(same.get("verdict").asText()).isEqualTo("RESTORED_ALTERED");
        JsonNode proof = same.at("/resume/proof");
        assertThat(proof.get("altered").asInt()).isEqualTo(5);
        assertThat(proof.get("keys")).hasSize(5).allSatisfy(k -> {
            assertThat(k.get("status").asText()).isEqualTo("altered");
            assertThat(k.get("now").asInt()).isEqualTo(99);
        });

        // the same bytes with the old checksums: RocksDB checks a block's checksum when it reads the block; the
        // restored job, given no new input, reads none, and its savepoint uploads the files as they are. So Flink
        // restores it; reading the state (the verify step) is what fails
        JsonNode corrupt = rows.get(4).get("run");
        assertThat(corrupt.at("/swapSst/bytesAfter").asLong()).isEqualTo(corrupt.at("/swapSst/bytesBefore").asLong());
        assertThat(corrupt.get("verdict").asText()).isEqualTo("RESTORED");
        assertThat(corrupt.at("/resume/proof/unreadable").asText()).contains("block checksum mismatch");
    }

    @Test
    void unverifiedWordCountReplaysItsWordsTheSameSizeTamperCountsOnFrom99AndTheCorruptBlockFailsTheFirstRead() throws Exception {
        JsonNode rows = matrix("--no-verify");
        blockIsSeenWhenResized(rows, "RESTORED");

        JsonNode same = rows.get(3).get("run");
        assertThat(same.at("/swapSst/mode").asText()).as("--json writes the mode as it is typed").isEqualTo("same-size");
        assertThat(same.at("/swapSst/bytesAfter").asLong()).isEqualTo(same.at("/swapSst/bytesBefore").asLong());
        assertThat(same.get("verdict").asText()).isEqualTo("RESTORED");
        assertThat(same.at("/resume/altered").asBoolean()).isTrue();
        JsonNode changed = same.at("/swapSst/changed");
        assertThat(changed).hasSize(5);
        List<String> printed = new ArrayList<>();
        same.get("restoredOutput").forEach(l -> printed.add(l.asText()));
        for (JsonNode c : changed) {
            assertThat(c.get("newValue").asText()).isEqualTo("99");
            String word = c.get("key").asText().replaceFirst(" \\(key group .*$", "");
            assertThat(printed).as("the restored job printed %s counted on from 99", word).anySatisfy(l -> assertThat(l).endsWith("(" + word + ",100)"));
        }

        // replayed words read their keys: the first read of the stale block fails the job
        JsonNode corrupt = rows.get(4).get("run");
        assertThat(corrupt.at("/swapSst/bytesAfter").asLong()).isEqualTo(corrupt.at("/swapSst/bytesBefore").asLong());
        assertThat(corrupt.get("verdict").asText()).isEqualTo("RESTORE_FAILED");
        assertThat(corrupt.at("/resume/rootCause").asText()).contains("block checksum mismatch");
    }
}
