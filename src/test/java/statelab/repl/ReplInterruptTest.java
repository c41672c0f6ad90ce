package statelab.repl;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import statelab.StateLab;
import statelab.testing.Checkout;
import statelab.testing.Proc;

/**
 * A Ctrl-C that lands during the first command of a fresh REPL JVM, while Flink's and Log4j's classes initialize,
 * cancels that command and nothing after it: the next command reaches the REST API as usual. Run in a JVM of its
 * own, since only a JVM's first REST client initializes them.
 */
class ReplInterruptTest {
    @Test
    void aCommandInterruptedInTheJvmsFirstRestCallLeavesRestWorkingForTheNextOne() {
        int closed = statelab.testing.TestCluster.freePort();
        Proc.Result r = Proc.run(Proc.java(FirstCommandInterrupted.class.getName(), "http://127.0.0.1:" + closed), Checkout.ROOT,
                Map.of(), null, Duration.ofMinutes(2));
        assertThat(r.exit()).as("%s", r).isZero();
        // the interrupted command ends as canceled (exit 1); the next one reaches the REST layer: connection refused (5)
        assertThat(r.out().lines().toList()).as("%s", r).containsExactly("first 1", "second 5");
        assertThat(r.err().lines().toList()).as("%s", r).hasSize(2);
        assertThat(r.err().lines().toList().get(0)).startsWith("error: interrupted");
        assertThat(r.err().lines().toList().get(1)).startsWith("error: cannot reach Flink's REST API").contains("connection refused");
    }

    /** Runs the same unreachable savepoint twice, the first time with the thread interrupted; prints both exit codes. */
    public static final class FirstCommandInterrupted {
        public static void main(String[] args) {
            PrintWriter err = new PrintWriter(System.err, true);
            Shell shell = new Shell(StateLab.commands(), new PrintWriter(System.err, true), err);
            String line = "savepoint 00000000000000000000000000000000 --rest-url " + args[0];
            Thread.currentThread().interrupt();
            int first = shell.run(line);
            Thread.interrupted();
            int second = shell.run(line);
            System.out.println("first " + first);
            System.out.println("second " + second);
        }
    }
}
