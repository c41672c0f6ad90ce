package statelab.savepoint;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import statelab.Inspect;
import statelab.cli.Output;
import statelab.testing.Checkout;
import statelab.testing.InProcess;

/**
 * The savepoint the commands carry for their class-data archive ({@link SampleSavepoint}) is a real one of
 * word-count, made by Flink 2.3.0: its keyed state read by the block engine is what RocksDB's iterator reads, and
 * {@code inspect --entries --json} prints it as Jackson would, the 40 words it counted.
 */
class SampleSavepointTest {
    static final Path SAMPLE = Checkout.ROOT.resolve("scripts/lib/savepoint/sample");

    @Test
    void theBlockEngineReadsEveryStateAsRocksDbsIteratorDoes() {
        SavepointLayout layout = SavepointLayout.load(SAMPLE);
        StateScan scan = new StateScan(layout);
        int states = 0;
        for (StateScan.OperatorState op : scan.operators()) {
            for (StateScan.Subtask s : op.subtasks()) {
                try (KeyedStateDb db = KeyedStateDb.open(s.files())) {
                    for (String state : db.states()) {
                        states++;
                        assertThat(read(db.scan(state))).as("%s", state).isEqualTo(read(db.rocksDbScan(state)));
                    }
                }
            }
        }
        assertThat(states).as("count and the two timer states").isEqualTo(3);
    }

    static List<String> read(StateSource.Cursor c) {
        List<String> out = new ArrayList<>();
        try (c) {
            while (c.next()) {
                out.add(HexFormat.of().formatHex(c.key()) + "=" + HexFormat.of().formatHex(c.value()));
            }
        }
        return out;
    }

    @Test
    void inspectPrintsTheFortyWordsAsJacksonWould() throws Exception {
        InProcess.Result r = InProcess.run(new Inspect(), SAMPLE.toString(), "--entries", "--json");
        assertThat(r.exit()).as("%s", r).isZero();
        List<String> lines = r.out().lines().toList();
        long sum = 0;
        for (String line : lines) {
            JsonNode n = Output.mapper().readTree(line);
            sum += n.get("value").asLong();
            StateScan.Entry e = Output.mapper().treeToValue(n, StateScan.Entry.class);
            assertThat(line).isEqualTo(Output.toJson(e));
        }
        assertThat(sum).as("the words the job counted").isEqualTo(40);
        assertThat(lines).hasSizeBetween(20, 40);
    }
}
