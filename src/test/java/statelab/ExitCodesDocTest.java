package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import statelab.cli.ExitCode;
import statelab.testing.Checkout;

/** docs/exit-codes.md is the code's table, row for row. */
class ExitCodesDocTest {
    @Test
    void theDocumentedTableIsTheCodesTable() throws Exception {
        List<String> rows = Files.readAllLines(Checkout.ROOT.resolve("docs/exit-codes.md")).stream()
                .filter(l -> l.matches("\\|\\s*\\d+\\s*\\|.*")).toList();
        List<String> expected = Arrays.stream(ExitCode.values())
                .map(c -> "| " + c.code + " | " + c.name() + " | " + c.meaning + " |").toList();
        assertThat(rows).containsExactlyElementsOf(expected);
    }
}
