package statelab;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import statelab.testing.Checkout;
import statelab.testing.InProcess;
import statelab.testing.Proc;

/**
 * {@code statelab generate-completion} writes a bash/zsh completion script (picocli's AutoComplete) for the
 * registry; sourced in a real bash, it completes commands and options as the README says.
 */
class ShellCompletionTest {
    @Test
    void theGeneratedScriptCompletesCommandsAndOptionsInBash() throws Exception {
        InProcess.Result generated = InProcess.run(new StateLab(), "generate-completion");
        assertThat(generated.exit()).as("%s", generated).isZero();
        assertThat(generated.out()).contains("complete -F _complete_statelab");
        Path script = Checkout.TARGET.resolve("statelab-completion.bash");
        Files.createDirectories(script.getParent());
        Files.writeString(script, generated.out());

        assertThat(complete(script, "statelab sav")).isEqualTo("savepoint");
        assertThat(complete(script, "statelab cluster st")).contains("start").contains("stop").contains("status");
        assertThat(complete(script, "statelab savepoint --fo")).isEqualTo("--format");
        assertThat(complete(script, "statelab savepoint --format ")).contains("NATIVE").contains("CANONICAL");
    }

    /** What bash completes the last word of {@code line} to, as one space-separated line. */
    private static String complete(Path script, String line) {
        String words = line.endsWith(" ") ? line + "''" : line;
        String bash = "source " + script + "\n"
                + "COMP_WORDS=(" + words + "); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
                + "COMP_LINE='" + line + "'; COMP_POINT=${#COMP_LINE}\n"
                + "_complete_statelab 2>/dev/null; echo \"${COMPREPLY[*]}\"\n";
        Proc.Result r = Proc.bash(bash, Checkout.ROOT, Map.of(), Duration.ofSeconds(30));
        assertThat(r.exit()).as("%s", r).isZero();
        return r.out().strip();
    }
}
