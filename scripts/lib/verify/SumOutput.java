package statelab.verify;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks the committed output of the running-sum job ({@code jobs/SumJob.java}) from outside the job: exactly one
 * line per input record, each {@code INDEX SUM} with the running sum of the input up to that record, in order within
 * each part file, no duplicate, no gap. What Flink's exactly-once promise means for this job, checked on the files a
 * reader of the output would see.
 *
 * <p>Only finished part files ({@code sum-<writer id>-<counter>.txt}) are output. In-progress and pending files
 * (hidden, {@code .sum-….inprogress.…}) are reported, not read: FileSink leaves behind the file a killed attempt was
 * writing after its last checkpoint (measured: one per TaskManager kill), and the restored job writes those records
 * again into new files. Output that was never committed shows as a gap in the committed files.
 *
 * <p>Each restored attempt writes with a new writer id and counts its files from 0 again, so part files are read in
 * the order of the first index each holds, not by name or counter. Every problem names the file and line (1-based)
 * where it shows first.
 */
public final class SumOutput {
    /** What FileSink names a finished part file of the job (prefix "sum", suffix ".txt"). */
    private static final Pattern PART = Pattern.compile("sum-.*-\\d+\\.txt");

    private SumOutput() {}

    /** The input the job was given: {@code records} zeros then {@code last}, the sum starting at {@code initial}. */
    public record Expectation(long records, long initial, long last) {
        /** The job's defaults: 20,000 zeros, then 990, from 10: the last line is "20000 1000". */
        public static final Expectation DEFAULTS = new Expectation(20_000, 10, 990);

        /** The sum written for the record at {@code index}. */
        public long sumAt(long index) {
            return index < records ? initial : initial + last;
        }

        public long lines() {
            return records + 1;
        }
    }

    /** One thing wrong with the output; {@code line} is 0 where the problem is not a line (a gap, an empty output). */
    public record Problem(Kind kind, String file, long line, String text, String detail) {
        @Override
        public String toString() {
            return kind + (file == null ? "" : " at " + file + (line > 0 ? ":" + line : "")) + ": " + detail;
        }
    }

    public enum Kind { MALFORMED, UNEXPECTED_INDEX, DUPLICATE, OUT_OF_ORDER, WRONG_SUM, GAP, EMPTY }

    /**
     * The verdict, the counts behind it, and the problems in the order they were found (at most 100 kept);
     * {@code uncommitted}: in-progress or pending files present, which are not output and break nothing by themselves.
     */
    public record Report(String verdict, long expectedLines, long lines, int files, long duplicates, long gaps, long wrongSums,
                         long outOfOrder, List<String> uncommitted, Problem first, List<Problem> problems) {
        public boolean ok() {
            return problems.isEmpty();
        }
    }

    public static final String OK = "EXACTLY_ONCE_OK";
    public static final String BROKEN = "EXACTLY_ONCE_BROKEN";
    private static final int KEPT = 100;

    /** Reads every finished part file in {@code dir} and checks it against {@code e}. */
    public static Report verify(Path dir, Expectation e) throws IOException {
        if (e.lines() > Integer.MAX_VALUE - 1) {
            throw new IllegalArgumentException("at most " + (Integer.MAX_VALUE - 2) + " records can be checked, not " + e.records());
        }
        List<Path> parts = new ArrayList<>();
        List<String> uncommitted = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.sorted().toList()) {
                String name = p.getFileName().toString();
                if (name.startsWith(".sum-") && name.contains(".inprogress")) {
                    uncommitted.add(name);
                } else if (PART.matcher(name).matches() && Files.isRegularFile(p)) {
                    parts.add(p);
                }
            }
        }
        Map<Path, Long> firstIndexOf = new HashMap<>();
        for (Path p : parts) {
            firstIndexOf.put(p, firstIndex(p));
        }
        parts.sort(Comparator.<Path>comparingLong(firstIndexOf::get).thenComparing(p -> p.getFileName().toString()));

        int expected = (int) e.lines();
        BitSet seen = new BitSet(expected);
        int[] firstFile = new int[expected];
        int[] firstLine = new int[expected];
        List<Problem> problems = new ArrayList<>();
        long lines = 0, duplicates = 0, wrongSums = 0, outOfOrder = 0;
        for (int f = 0; f < parts.size(); f++) {
            String file = parts.get(f).getFileName().toString();
            long previous = -1;
            try (BufferedReader r = Files.newBufferedReader(parts.get(f), StandardCharsets.UTF_8)) {
                int n = 0;
                for (String text = r.readLine(); text != null; text = r.readLine()) {
                    n++;
                    lines++;
                    long[] parsed = parse(text);
                    if (parsed == null) {
                        add(problems, new Problem(Kind.MALFORMED, file, n, text, "not \"INDEX SUM\""));
                        continue;
                    }
                    long index = parsed[0], sum = parsed[1];
                    if (index < 0 || index >= expected) {
                        add(problems, new Problem(Kind.UNEXPECTED_INDEX, file, n, text,
                                "index " + index + " is not one of the input's 0.." + (expected - 1)));
                        continue;
                    }
                    if (index < previous) { // (the same index again is a duplicate, below)
                        outOfOrder++;
                        add(problems, new Problem(Kind.OUT_OF_ORDER, file, n, text, "index " + index + " after " + previous));
                    }
                    previous = Math.max(previous, index);
                    int i = (int) index;
                    if (seen.get(i)) {
                        duplicates++;
                        add(problems, new Problem(Kind.DUPLICATE, file, n, text, "index " + index + " was already written at "
                                + parts.get(firstFile[i]).getFileName() + ":" + firstLine[i]));
                    } else {
                        seen.set(i);
                        firstFile[i] = f;
                        firstLine[i] = n;
                    }
                    if (sum != e.sumAt(index)) {
                        wrongSums++;
                        add(problems, new Problem(Kind.WRONG_SUM, file, n, text, "index " + index + ": sum " + sum + ", expected " + e.sumAt(index)));
                    }
                }
            }
        }
        long gaps = expected - seen.cardinality();
        if (lines == 0) {
            add(problems, new Problem(Kind.EMPTY, null, 0, null,
                    parts.isEmpty() ? "no finished part file (sum-*.txt) in " + dir : "the part files hold no line"));
        } else if (gaps > 0) {
            int missing = seen.nextClearBit(0);
            add(problems, new Problem(Kind.GAP, null, 0, null, gaps + " of " + expected + " indexes never written; the first: "
                    + missing + after(missing, seen, parts, firstFile, firstLine)));
        }
        return new Report(problems.isEmpty() ? OK : BROKEN, expected, lines, parts.size(), duplicates, gaps, wrongSums, outOfOrder,
                List.copyOf(uncommitted), problems.isEmpty() ? null : problems.get(0), List.copyOf(problems));
    }

    /** Lines in the finished part files of {@code dir} so far (a running job's progress); the verifier reads the same files. */
    public static long committedLines(Path dir) throws IOException {
        long lines = 0;
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : files.filter(f -> PART.matcher(f.getFileName().toString()).matches()).toList()) {
                try (Stream<String> l = Files.lines(p, StandardCharsets.UTF_8)) {
                    lines += l.count();
                }
            }
        }
        return lines;
    }

    /** Where the output stands just before a missing index, to find the place in the files. */
    private static String after(int missing, BitSet seen, List<Path> parts, int[] firstFile, int[] firstLine) {
        int before = seen.previousSetBit(missing - 1);
        return before < 0 ? " (none before it either)"
                : " (index " + before + " is at " + parts.get(firstFile[before]).getFileName() + ":" + firstLine[before] + ")";
    }

    private static void add(List<Problem> problems, Problem p) {
        if (problems.size() < KEPT) {
            problems.add(p);
        }
    }

    /** "INDEX SUM" as two longs, or null. */
    static long[] parse(String line) {
        int space = line.indexOf(' ');
        if (space <= 0 || space != line.lastIndexOf(' ')) {
            return null;
        }
        try {
            return new long[] {Long.parseLong(line.substring(0, space)), Long.parseLong(line.substring(space + 1))};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The index on a part file's first line; files that start with no index sort last. */
    private static long firstIndex(Path part) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(part, StandardCharsets.UTF_8)) {
            String line = r.readLine();
            long[] parsed = line == null ? null : parse(line);
            return parsed == null ? Long.MAX_VALUE : parsed[0];
        }
    }
}
