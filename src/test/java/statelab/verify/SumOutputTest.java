package statelab.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import statelab.verify.SumOutput.Expectation;
import statelab.verify.SumOutput.Kind;
import statelab.verify.SumOutput.Report;

/**
 * The running-sum verifier on hand-made outputs: a verifier that cannot fail is worthless, so every way the output
 * can break is made here and must be flagged at the right file and line. Names as FileSink writes them.
 */
class SumOutputTest {
    /** 5 zeros then 990, from 10: "0 10" … "4 10", "5 1000". */
    private static final Expectation SMALL = new Expectation(5, 10, 990);
    private static final String A = "sum-1f2e3d4c-0.txt";
    private static final String B = "sum-1f2e3d4c-1.txt";

    @TempDir
    Path dir;

    private static List<String> correct() {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            lines.add(i + " 10");
        }
        lines.add("5 1000");
        return lines;
    }

    private void write(String name, List<String> lines) throws Exception {
        Files.write(dir.resolve(name), lines);
    }

    @Test
    void theCorrectOutputSplitOverPartFilesIsExactlyOnce() throws Exception {
        List<String> all = correct();
        write(A, all.subList(0, 3));
        write(B, all.subList(3, 6));
        Report r = SumOutput.verify(dir, SMALL);
        assertThat(r.verdict()).isEqualTo(SumOutput.OK);
        assertThat(r.ok()).isTrue();
        assertThat(r.lines()).isEqualTo(6);
        assertThat(r.files()).isEqualTo(2);
        assertThat(r.first()).isNull();
    }

    @Test
    void aDuplicatedLineIsFlaggedWhereItRepeatsAndSaysWhereItWasFirst() throws Exception {
        List<String> lines = correct();
        lines.add(3, "2 10");
        write(A, lines);
        Report r = SumOutput.verify(dir, SMALL);
        assertThat(r.verdict()).isEqualTo(SumOutput.BROKEN);
        assertThat(r.duplicates()).isEqualTo(1);
        assertThat(r.outOfOrder()).isZero();
        assertThat(r.first()).satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.DUPLICATE);
            assertThat(p.file()).isEqualTo(A);
            assertThat(p.line()).isEqualTo(4);
            assertThat(p.detail()).contains(A + ":3");
        });
    }

    @Test
    void aGapNamesTheFirstMissingIndexAndWhereTheOutputStandsBeforeIt() throws Exception {
        List<String> lines = correct();
        lines.remove(2); // "2 10"
        lines.remove(2); // "3 10"
        write(A, lines);
        Report r = SumOutput.verify(dir, SMALL);
        assertThat(r.verdict()).isEqualTo(SumOutput.BROKEN);
        assertThat(r.gaps()).isEqualTo(2);
        assertThat(r.first().kind()).isEqualTo(Kind.GAP);
        assertThat(r.first().detail()).contains("the first: 2").contains(A + ":2");
    }

    @Test
    void aWrongSumIsFlaggedAtItsLine() throws Exception {
        List<String> lines = correct();
        lines.set(5, "5 999");
        write(A, lines);
        Report r = SumOutput.verify(dir, SMALL);
        assertThat(r.wrongSums()).isEqualTo(1);
        assertThat(r.first()).satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.WRONG_SUM);
            assertThat(p.line()).isEqualTo(6);
            assertThat(p.detail()).isEqualTo("index 5: sum 999, expected 1000");
        });
    }

    @Test
    void anInProgressFileLeftBesideCompleteOutputIsReportedButNotReadAsOutput() throws Exception {
        // what FileSink leaves after a TaskManager kill: the killed attempt's open file, its records written again
        write(A, correct());
        write(".sum-1f2e3d4c-1.txt.inprogress.0d1c2b3a", List.of("4 10", "5 1000")); // duplicates if it were read
        Report r = SumOutput.verify(dir, SMALL);
        assertThat(r.verdict()).isEqualTo(SumOutput.OK);
        assertThat(r.duplicates()).isZero();
        assertThat(r.uncommitted()).containsExactly(".sum-1f2e3d4c-1.txt.inprogress.0d1c2b3a");
    }

    @Test
    void outputLeftInAnInProgressFileIsAGapInTheCommittedOutput() throws Exception {
        List<String> all = correct();
        write(A, all.subList(0, 4));
        write(".sum-1f2e3d4c-1.txt.inprogress.0d1c2b3a", all.subList(4, 6)); // never committed
        Report r = SumOutput.verify(dir, SMALL);
        assertThat(r.verdict()).isEqualTo(SumOutput.BROKEN);
        assertThat(r.uncommitted()).containsExactly(".sum-1f2e3d4c-1.txt.inprogress.0d1c2b3a");
        assertThat(r.gaps()).isEqualTo(2);
        assertThat(r.first()).satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.GAP);
            assertThat(p.detail()).contains("the first: 4").contains("index 3 is at " + A + ":4");
        });
    }

    @Test
    void anEmptyOutputIsBrokenNotVacuouslyFine() throws Exception {
        assertThat(SumOutput.verify(dir, SMALL)).satisfies(r -> {
            assertThat(r.verdict()).isEqualTo(SumOutput.BROKEN);
            assertThat(r.first().kind()).isEqualTo(Kind.EMPTY);
            assertThat(r.first().detail()).contains("no finished part file");
        });
        write(A, List.of());
        assertThat(SumOutput.verify(dir, SMALL).first().detail()).isEqualTo("the part files hold no line");
    }

    @Test
    void linesOutOfOrderAreFlaggedAtTheFirstStepBack() throws Exception {
        List<String> lines = correct();
        lines.set(1, "2 10");
        lines.set(2, "1 10");
        write(A, lines);
        Report r = SumOutput.verify(dir, SMALL);
        assertThat(r.outOfOrder()).isEqualTo(1);
        assertThat(r.duplicates()).isZero();
        assertThat(r.gaps()).isZero();
        assertThat(r.first()).satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.OUT_OF_ORDER);
            assertThat(p.line()).isEqualTo(3);
            assertThat(p.detail()).isEqualTo("index 1 after 2");
        });
    }

    @Test
    void twoPartFilesThatOverlapAreDuplicatesAcrossFiles() throws Exception {
        List<String> all = correct();
        write(A, all.subList(0, 4));
        write(B, all.subList(2, 6)); // "2 10" and "3 10" again
        Report r = SumOutput.verify(dir, SMALL);
        assertThat(r.duplicates()).isEqualTo(2);
        assertThat(r.first()).satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.DUPLICATE);
            assertThat(p.file()).isEqualTo(B);
            assertThat(p.line()).isEqualTo(1);
            assertThat(p.detail()).contains(A + ":3");
        });
    }

    @Test
    void aLineThatIsNotIndexAndSumIsMalformedAndAnIndexBeyondTheInputIsUnexpected() throws Exception {
        List<String> lines = correct();
        lines.add(1, "10"); // the old format: a sum without its index
        lines.add("6 1000");
        write(A, lines);
        Report r = SumOutput.verify(dir, SMALL);
        assertThat(r.first()).satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.MALFORMED);
            assertThat(p.line()).isEqualTo(2);
        });
        assertThat(r.problems()).anySatisfy(p -> {
            assertThat(p.kind()).isEqualTo(Kind.UNEXPECTED_INDEX);
            assertThat(p.line()).isEqualTo(8);
        });
    }

    @Test
    void partFilesAreReadInTheOrderOfTheirFirstIndexNotByNameOrCounter() throws Exception {
        List<String> all = correct();
        // a restored attempt writes with a new writer id and counts from 0 again; its id sorts first by name
        write("sum-ffff0000-0.txt", all.subList(0, 4));
        write("sum-ffff0000-1.txt", all.subList(4, 5));
        write("sum-0000aaaa-0.txt", all.subList(3, 6)); // the restored attempt repeats index 3 and 4
        Report r = SumOutput.verify(dir, SMALL);
        assertThat(r.duplicates()).isEqualTo(2);
        assertThat(r.first()).satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Kind.DUPLICATE);
            assertThat(p.file()).isEqualTo("sum-0000aaaa-0.txt");
            assertThat(p.line()).isEqualTo(1);
            assertThat(p.detail()).contains("sum-ffff0000-0.txt:4");
        });
    }
}
