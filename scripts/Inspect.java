///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES lib/cli/*.java
//SOURCES lib/flink/*.java
//SOURCES lib/savepoint/*.java
//SOURCES lib/sst/format/*.java
// A young generation of 16 MiB: the scan's garbage is short-lived, and the JVM's default (a third of an initial heap
// of 1/64 of the machine's memory) is touched page by page until it is full: peak RSS then grows with the state read
// (bench/xray: 195 MiB for 2.65 M keys, 137 MiB for 0.73 M) and first touches cost page faults. 109 MiB, 5% faster.
//JAVA_OPTIONS -Xmn16m
// Methods compiled at 4x the JIT's default thresholds: start-up code run a few hundred times (picocli, Flink's
// metadata classes) is left to the interpreter, and the scan's loops still reach C2 within their first milliseconds.
// bench/xray, A/B: 0.97x the wall time and 0.9x the CPU on both savepoints.
//JAVA_OPTIONS -XX:CompileThresholdScaling=4
//DESCRIPTION Show what a savepoint holds: operators, keyed states and their types, files; with --entries, every entry decoded.
package statelab;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
import statelab.savepoint.SavepointSummary;
import statelab.savepoint.StateScan;

/**
 * {@code inspect SAVEPOINT [--entries]}: a savepoint as a user thinks of it. Without {@code --entries}: checkpoint,
 * format, operators, keyed states (kind, key and value types from the serializer snapshots the savepoint stores),
 * and every file with what it is. With {@code --entries}: every live entry of the keyed state, decoded with those
 * serializers, read by RocksDB itself (newest version wins, tombstones hide, list operands joined); a table on a
 * terminal, tab-separated lines in a pipe, one JSON object per line with {@code --json}.
 */
@Command(name = "inspect", mixinStandardHelpOptions = true, version = "StateLab inspect (Flink 2.3.0)",
        description = {"Show what a savepoint (argument or stdin) holds: operators, keyed states and their types, files.",
                "--entries: every entry of the keyed state, decoded (key group, key, namespace, map key, value)."})
public final class Inspect implements Callable<Integer>, ClassDataArchive.Exercised {
    @Mixin Output output;

    @Parameters(index = "0", arity = "0..1", paramLabel = "SAVEPOINT", description = "The savepoint directory (default: read from stdin).")
    String savepointArg;

    @Option(names = "--entries", description = "Print every entry of the keyed state, decoded.")
    boolean entries;

    @Option(names = "--state", paramLabel = "NAME", description = "Only this keyed state (implies --entries).")
    String state;

    @Option(names = "--operator", paramLabel = "UID", description = "Only this operator (uid, name or id; implies --entries).")
    String operator;

    @Option(names = "--key", paramLabel = "KEY", description = "Only entries whose key prints as KEY (implies --entries).")
    String key;

    @Option(names = "--limit", paramLabel = "N", description = "At most N entries (implies --entries).")
    Long limit;

    /** What {@code --entries} reports at its end (stderr on a terminal; the JSON lines carry the entries). */
    public record Scanned(long entries, long undecoded) {}

    /** Run while the class-data archive is written (see ClassDataArchive): the table format's paths, and a whole savepoint read. */
    @Override
    public void exercise() {
        statelab.sst.format.StoredBlock.exercise();
        statelab.savepoint.SampleSavepoint.read();
    }

    @Override
    public Integer call() {
        Path dir = SavepointPath.readable(PipeInput.argumentOrStdin(savepointArg, "savepoint", "savepoint path", "savepoint or swap-sst"), output);
        if (limit != null && limit < 0) {
            throw Failure.of(ExitCode.USAGE, "--limit must be 0 or more, got %d", limit);
        }
        SavepointLayout layout = SavepointLayout.load(dir);
        if (!(entries || state != null || operator != null || key != null || limit != null)) {
            SavepointSummary.Summary summary = SavepointSummary.of(layout);
            output.result(SavepointSummary.plain(summary), summary);
            return ExitCode.OK.code;
        }
        Scanned scanned = print(layout, new StateScan.Filter(operator, state, key), limit == null ? Long.MAX_VALUE : limit, output);
        output.progress("%d entries%s", scanned.entries(), scanned.undecoded() > 0 ? ", " + scanned.undecoded() + " not fully decoded (see note)" : "");
        return ExitCode.OK.code;
    }

    /** Streams the entries to stdout: JSON lines, a table on a terminal, tab-separated lines otherwise. */
    static Scanned print(SavepointLayout layout, StateScan.Filter filter, long limit, Output output) {
        EntryPrinter printer = new EntryPrinter(output);
        try {
            if (limit > 0 && printer.json && filter.key() == null) {
                // JSON lines from each entry's bytes where its state's layout is simple (EntryJson)
                new StateScan(layout).scanStreams(filter, s -> printer.print(s) < limit);
            } else if (limit > 0) {
                new StateScan(layout).scan(filter, (e, k, v) -> printer.print(e) < limit);
            }
            printer.finish();
        } finally {
            printer.flush(); // what was read before a failure is printed, then the failure
        }
        return new Scanned(printer.entries, printer.undecoded);
    }

    /**
     * Prints entries in one of three forms: JSON lines ({@code --json}), tab-separated lines with a header (a pipe),
     * or a table on a terminal, whose column widths are those of its first {@value #TABLE_SAMPLE} rows.
     */
    static final class EntryPrinter {
        static final String[] COLUMNS = {"operator", "subtask", "state", "keyGroup", "key", "namespace", "mapKey", "value", "note"};
        static final int TABLE_SAMPLE = 200;
        /** The widest a table column grows; longer cells push the row's next columns on. */
        static final int MAX_WIDTH = 40;

        private final PrintWriter out;
        private final boolean json;
        private final boolean table;
        private final List<String[]> pending = new ArrayList<>();
        private final statelab.savepoint.EntryJson jsonLines;
        private int[] widths;
        private boolean gone;
        long entries;
        long undecoded;

        EntryPrinter(Output output) {
            this.out = output.lines();
            this.json = output.json();
            this.table = !json && Output.isTerminal(1);
            this.jsonLines = json ? new statelab.savepoint.EntryJson(output.bytes()) : null;
        }

        /** Prints the stream's entry as a JSON line; returns how many were printed. */
        long print(StateScan.Stream s) {
            entries++;
            if (gone) {
                return Long.MAX_VALUE;
            }
            try {
                if (!jsonLines.write(s)) {
                    undecoded++;
                }
            } catch (java.io.IOException x) {
                readerGone(x);
                return Long.MAX_VALUE;
            }
            return entries;
        }

        /** Prints one entry; returns how many were printed. */
        long print(StateScan.Entry e) {
            if (entries++ == 0 && !json && !table) {
                out.println(String.join("\t", COLUMNS));
            }
            if (e.note() != null) {
                undecoded++;
            }
            if (json) {
                if (gone) {
                    return Long.MAX_VALUE;
                }
                try {
                    jsonLines.write(e);
                } catch (java.io.IOException x) {
                    readerGone(x);
                    return Long.MAX_VALUE;
                }
            } else if (!table) {
                out.println(String.join("\t", row(e)));
            } else if (widths == null) {
                pending.add(row(e));
                if (pending.size() == TABLE_SAMPLE) {
                    printPending();
                }
            } else {
                out.println(format(row(e)));
            }
            return entries;
        }

        void finish() {
            if (table && widths == null) {
                printPending();
            } else if (!json && !table && entries == 0) {
                out.println(String.join("\t", COLUMNS));
            }
        }

        void flush() {
            try {
                if (jsonLines != null && !gone) {
                    jsonLines.flush();
                }
            } catch (java.io.IOException x) {
                readerGone(x);
            }
            out.flush();
        }

        /**
         * stdout's reader went away ({@code inspect --entries --json | head}): the scan stops, as the writers of a pipe
         * do, quietly. Any other write error is one.
         */
        private void readerGone(java.io.IOException x) {
            if (x.getMessage() == null || !x.getMessage().contains("Broken pipe")) {
                throw new java.io.UncheckedIOException("cannot write to stdout: " + x.getMessage(), x);
            }
            gone = true;
        }

        private void printPending() {
            widths = new int[COLUMNS.length];
            for (int i = 0; i < COLUMNS.length; i++) {
                widths[i] = COLUMNS[i].length();
            }
            for (String[] r : pending) {
                for (int i = 0; i < r.length; i++) {
                    widths[i] = Math.max(widths[i], Math.min(r[i].length(), MAX_WIDTH));
                }
            }
            out.println(format(COLUMNS));
            pending.forEach(r -> out.println(format(r)));
            pending.clear();
        }

        private static String[] row(StateScan.Entry e) {
            return new String[] {e.operator(), String.valueOf(e.subtask()), e.state(), e.keyGroup() == null ? "" : e.keyGroup().toString(),
                    String.valueOf(e.key()), e.namespace() == null ? "" : String.valueOf(e.namespace()),
                    e.mapKey() == null ? "" : String.valueOf(e.mapKey()), String.valueOf(e.value()), e.note() == null ? "" : e.note()};
        }

        private String format(String[] r) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                if (i > 0) {
                    sb.append("  ");
                }
                sb.append(r[i]);
                if (i < r.length - 1) {
                    sb.append(" ".repeat(Math.max(0, widths[i] - r[i].length())));
                }
            }
            return sb.toString().stripTrailing();
        }
    }

    public static void main(String[] args) {
        CommandRunner.main(new Inspect(), args);
    }
}
