package statelab.flink;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Byte ranges of a file as lists of {from, length}: what holes are made of. Results are sorted, disjoint and not touching. */
final class Ranges {
    private Ranges() {}

    /** {@code ranges} sorted, with overlapping and touching ones merged and empty ones dropped. */
    static List<long[]> normalize(List<long[]> ranges) {
        List<long[]> sorted = new ArrayList<>(ranges.stream().filter(r -> r[1] > 0).map(long[]::clone).toList());
        sorted.sort(Comparator.comparingLong(r -> r[0]));
        List<long[]> out = new ArrayList<>();
        for (long[] r : sorted) {
            long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && r[0] <= last[0] + last[1]) {
                last[1] = Math.max(last[0] + last[1], r[0] + r[1]) - last[0];
            } else {
                out.add(r);
            }
        }
        return out;
    }

    /** The bytes of {@code a} not in {@code b}. */
    static List<long[]> minus(List<long[]> a, List<long[]> b) {
        List<long[]> out = new ArrayList<>();
        List<long[]> cut = normalize(b);
        for (long[] r : normalize(a)) {
            long at = r[0];
            long end = r[0] + r[1];
            for (long[] c : cut) {
                long cEnd = c[0] + c[1];
                if (cEnd <= at || c[0] >= end) {
                    continue;
                }
                if (c[0] > at) {
                    out.add(new long[] {at, c[0] - at});
                }
                at = Math.max(at, cEnd);
            }
            if (at < end) {
                out.add(new long[] {at, end - at});
            }
        }
        return normalize(out);
    }

    /** The bytes in both {@code a} and {@code b}. */
    static List<long[]> intersect(List<long[]> a, List<long[]> b) {
        return minus(a, minus(a, b));
    }

    /** The bytes in either. */
    static List<long[]> union(List<long[]> a, List<long[]> b) {
        List<long[]> all = new ArrayList<>(a);
        all.addAll(b);
        return normalize(all);
    }

    /** The part of {@code ranges} within {@code [from, to)}. */
    static List<long[]> within(List<long[]> ranges, long from, long to) {
        return to <= from ? List.of() : intersect(ranges, List.of(new long[] {from, to - from}));
    }

    /** The end of the last range, 0 for none. */
    static long end(List<long[]> ranges) {
        return ranges.stream().mapToLong(r -> r[0] + r[1]).max().orElse(0);
    }

    static long bytes(List<long[]> ranges) {
        return normalize(ranges).stream().mapToLong(r -> r[1]).sum();
    }
}
