///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/cli/*.java
//SOURCES lib/flink/*.java
//SOURCES lib/savepoint/*.java
//SOURCES lib/sst/format/*.java
//DESCRIPTION Compare the keyed state of two savepoints: keys added, removed and changed (old -> new), per state.
package statelab;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import statelab.cli.ClassDataArchive;
import statelab.cli.CommandRunner;
import statelab.cli.ExitCode;
import statelab.cli.Failure;
import statelab.cli.Output;
import statelab.cli.PipeInput;
import statelab.flink.SavepointPath;
import statelab.savepoint.SavepointLayout;
import statelab.savepoint.StateScan;

/**
 * {@code diff A B}: the keyed state of two native savepoints compared key by key, per operator and state: keys only
 * in B (added), only in A (removed), and in both with other values (changed, old → new), with counts. Both sides
 * are read by RocksDB and merged in key order, so memory does not grow with the state. Exit code 0 when the state
 * is the same, {@link ExitCode#DIFFERENT} when it differs.
 */
@Command(name = "diff", mixinStandardHelpOptions = true, version = "StateLab diff (Flink 2.3.0)",
        description = {"Compare the keyed state of two savepoints, key by key: added, removed, changed (old -> new).",
                "Exit 0: the same state; 12: it differs."})
public final class Diff implements Callable<Integer>, ClassDataArchive.Exercised {
    @Mixin Output output;

    @Parameters(index = "0", arity = "0..1", paramLabel = "SAVEPOINT_A", description = "The first savepoint (the original).")
    String a;

    @Parameters(index = "1", arity = "0..1", paramLabel = "SAVEPOINT_B",
            description = "The second savepoint, compared with A (default: read from stdin, e.g. from edit or swap-sst).")
    String b;

    @Option(names = "--state", paramLabel = "NAME", description = "Only this keyed state.")
    String state;

    @Option(names = "--operator", paramLabel = "UID", description = "Only this operator (uid, name or id).")
    String operator;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "1000",
            description = "Print at most N differences (all are counted; default: ${DEFAULT-VALUE}).")
    long limit;

    /** One difference, as a JSON line: {@code change} is added, removed or changed. */
    public record Difference(String change, String operator, String state, Integer keyGroup, Object key, Object namespace, Object mapKey,
                             Object oldValue, Object newValue, String keyHex, String oldHex, String newHex) {}

    /** The counts of one state (the last JSON lines, {@code change} "total"). */
    public record Counts(String change, String operator, String state, long added, long removed, long changed, long same) {
        boolean differs() {
            return added + removed + changed > 0;
        }
    }

    /** What a diff found: its differences (up to a limit) and the counts of every state. */
    public record Result(List<Difference> differences, List<Counts> counts) {
        public boolean differs() {
            return counts.stream().anyMatch(Counts::differs);
        }
    }

    /** Run while the class-data archive is written (see ClassDataArchive): the table format's paths, and a whole savepoint read. */
    @Override
    public void exercise() {
        statelab.sst.format.StoredBlock.exercise();
        statelab.savepoint.SampleSavepoint.read();
    }

    @Override
    public Integer call() {
        if (limit < 0) {
            throw Failure.of(ExitCode.USAGE, "--limit must be 0 or more, got %d", limit);
        }
        if (a == null) {
            throw Failure.of(ExitCode.USAGE, "diff compares two savepoints: give SAVEPOINT_A, and SAVEPOINT_B or pipe it in (see 'diff --help')");
        }
        SavepointLayout left = SavepointLayout.load(SavepointPath.readable(a, output));
        SavepointLayout right = SavepointLayout.load(SavepointPath.readable(
                PipeInput.argumentOrStdin(b, "savepoint", "second savepoint (B)", "edit or swap-sst"), output));
        PrintWriter out = output.lines();
        long[] printed = {0};
        Result result;
        try {
            result = diff(left, right, new StateScan.Filter(operator, state, null), d -> {
                if (printed[0]++ < limit) {
                    out.println(output.json() ? Output.toJson(d) : plain(d));
                }
            });
        } finally {
            out.flush(); // the differences found before a failure are printed, then the failure
        }
        if (printed[0] > limit) {
            output.warn("%d differences, %d printed (--limit)", printed[0], limit);
        }
        for (Counts c : result.counts()) {
            out.println(output.json() ? Output.toJson(c) : String.format("%s/%s: %d changed, %d added, %d removed, %d same",
                    c.operator(), c.state(), c.changed(), c.added(), c.removed(), c.same()));
        }
        out.flush();
        return result.differs() ? ExitCode.DIFFERENT.code : ExitCode.OK.code;
    }

    static String plain(Difference d) {
        String where = d.operator() + "/" + d.state() + " " + d.key() + (d.namespace() != null ? " [" + d.namespace() + "]" : "")
                + (d.mapKey() != null ? " map key " + d.mapKey() : "");
        return switch (d.change()) {
            case "added" -> "added    " + where + ": " + d.newValue();
            case "removed" -> "removed  " + where + ": " + d.oldValue();
            default -> "changed  " + where + ": " + d.oldValue() + " -> " + d.newValue();
        };
    }

    /**
     * Compares the keyed state of {@code left} and {@code right}: every difference goes to {@code sink} in key order,
     * per operator and state; the counts come back. A state or operator on one side only counts all its keys as
     * added or removed.
     */
    public static Result diff(SavepointLayout left, SavepointLayout right, StateScan.Filter filter,
                              java.util.function.Consumer<Difference> sink) {
        StateScan l = new StateScan(left);
        StateScan r = new StateScan(right);
        Map<String, StateScan.OperatorState> lo = byLabel(l.operators());
        Map<String, StateScan.OperatorState> ro = byLabel(r.operators());
        TreeSet<String> labels = new TreeSet<>(lo.keySet());
        labels.addAll(ro.keySet());
        if (filter.operator() != null && lo.values().stream().noneMatch(o -> o.isOf(filter.operator()))
                && ro.values().stream().noneMatch(o -> o.isOf(filter.operator()))) {
            throw Failure.of(ExitCode.NOT_FOUND, "no operator '%s' with keyed state in %s or %s; operators with keyed state: %s",
                    filter.operator(), left.dir(), right.dir(), String.join(", ", labels));
        }
        List<Counts> counts = new ArrayList<>();
        List<Difference> kept = new ArrayList<>();
        java.util.function.Consumer<Difference> both = d -> {
            if (kept.size() < 10_000) {
                kept.add(d);
            }
            sink.accept(d);
        };
        boolean stateSeen = false;
        for (String label : labels) {
            StateScan.OperatorState lop = lo.get(label);
            StateScan.OperatorState rop = ro.get(label);
            if (filter.operator() != null && !(lop != null && lop.isOf(filter.operator()) || rop != null && rop.isOf(filter.operator()))) {
                continue;
            }
            try (StateScan.Opened lopen = lop == null ? null : l.open(lop);
                 StateScan.Opened ropen = rop == null ? null : r.open(rop)) {
                TreeSet<String> states = new TreeSet<>();
                if (lopen != null) {
                    states.addAll(lopen.states());
                }
                if (ropen != null) {
                    states.addAll(ropen.states());
                }
                for (String st : states) {
                    if (filter.state() != null && !filter.state().equals(st)) {
                        continue;
                    }
                    stateSeen = true;
                    counts.add(diffState(label, st, lopen, ropen, both));
                }
            }
        }
        if (filter.state() != null && !stateSeen) {
            throw Failure.of(ExitCode.NOT_FOUND, "no keyed state '%s' in %s or %s", filter.state(), left.dir(), right.dir());
        }
        return new Result(kept, counts);
    }

    private static Counts diffState(String label, String st, StateScan.Opened lopen, StateScan.Opened ropen,
                                    java.util.function.Consumer<Difference> sink) {
        long added = 0, removed = 0, changed = 0, same = 0;
        try (StateScan.Stream ls = lopen == null || !lopen.states().contains(st) ? null : lopen.stream(st);
             StateScan.Stream rs = ropen == null || !ropen.states().contains(st) ? null : ropen.stream(st)) {
            boolean lh = ls != null && ls.next();
            boolean rh = rs != null && rs.next();
            while (lh || rh) {
                int cmp = !lh ? 1 : !rh ? -1 : Arrays.compareUnsigned(ls.key(), rs.key());
                if (cmp < 0) {
                    removed++;
                    StateScan.Entry e = ls.entry();
                    sink.accept(new Difference("removed", label, st, e.keyGroup(), e.key(), e.namespace(), e.mapKey(), e.value(), null,
                            e.keyHex(), e.valueHex(), null));
                    lh = ls.next();
                } else if (cmp > 0) {
                    added++;
                    StateScan.Entry e = rs.entry();
                    sink.accept(new Difference("added", label, st, e.keyGroup(), e.key(), e.namespace(), e.mapKey(), null, e.value(),
                            e.keyHex(), null, e.valueHex()));
                    rh = rs.next();
                } else {
                    if (Arrays.equals(ls.value(), rs.value())) {
                        same++;
                    } else {
                        changed++;
                        StateScan.Entry o = ls.entry();
                        StateScan.Entry n = rs.entry();
                        sink.accept(new Difference("changed", label, st, o.keyGroup(), o.key(), o.namespace(), o.mapKey(), o.value(), n.value(),
                                o.keyHex(), o.valueHex(), n.valueHex()));
                    }
                    lh = ls.next();
                    rh = rs.next();
                }
            }
        }
        return new Counts("total", label, st, added, removed, changed, same);
    }

    private static Map<String, StateScan.OperatorState> byLabel(List<StateScan.OperatorState> ops) {
        Map<String, StateScan.OperatorState> by = new LinkedHashMap<>();
        ops.forEach(o -> by.put(o.label(), o));
        return by;
    }


    public static void main(String[] args) {
        CommandRunner.main(new Diff(), args);
    }
}
