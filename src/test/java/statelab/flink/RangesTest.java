package statelab.flink;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Ranges} against sets of bytes held as boolean arrays, over random range lists. */
class RangesTest {
    static final int SPAN = 200;

    static List<long[]> random(Random r) {
        List<long[]> out = new ArrayList<>();
        for (int i = r.nextInt(6); i > 0; i--) {
            int from = r.nextInt(SPAN);
            out.add(new long[] {from, r.nextInt(SPAN - from + 1)});
        }
        return out;
    }

    static boolean[] bits(List<long[]> ranges) {
        boolean[] b = new boolean[SPAN + 1];
        for (long[] x : ranges) {
            for (long i = x[0]; i < x[0] + x[1]; i++) {
                b[(int) i] = true;
            }
        }
        return b;
    }

    static void assertNormal(List<long[]> ranges) {
        for (int i = 0; i < ranges.size(); i++) {
            assertThat(ranges.get(i)[1]).as("not empty").isPositive();
            if (i > 0) {
                assertThat(ranges.get(i)[0]).as("sorted, apart").isGreaterThan(ranges.get(i - 1)[0] + ranges.get(i - 1)[1]);
            }
        }
    }

    @Test
    void setOperationsMatchTheirBitSets() {
        Random r = new Random(11);
        for (int round = 0; round < 5000; round++) {
            List<long[]> a = random(r);
            List<long[]> b = random(r);
            boolean[] x = bits(a);
            boolean[] y = bits(b);
            boolean[] minus = new boolean[SPAN + 1];
            boolean[] and = new boolean[SPAN + 1];
            boolean[] or = new boolean[SPAN + 1];
            for (int i = 0; i <= SPAN; i++) {
                minus[i] = x[i] && !y[i];
                and[i] = x[i] && y[i];
                or[i] = x[i] || y[i];
            }
            for (var c : List.of(Ranges.minus(a, b), Ranges.intersect(a, b), Ranges.union(a, b), Ranges.normalize(a))) {
                assertNormal(c);
            }
            assertThat(bits(Ranges.minus(a, b))).isEqualTo(minus);
            assertThat(bits(Ranges.intersect(a, b))).isEqualTo(and);
            assertThat(bits(Ranges.union(a, b))).isEqualTo(or);
            assertThat(bits(Ranges.normalize(a))).isEqualTo(x);
            int from = r.nextInt(SPAN);
            int to = from + r.nextInt(SPAN - from + 1);
            boolean[] w = bits(Ranges.within(a, from, to));
            for (int i = 0; i <= SPAN; i++) {
                assertThat(w[i]).isEqualTo(x[i] && i >= from && i < to);
            }
        }
    }
}
