///usr/bin/env jbang "$0" "$@" ; exit $?
//JAVA 17+
//SOURCES ../../scripts/lib/cli/*.java
//SOURCES ../../scripts/lib/flink/*.java
//SOURCES ../../scripts/lib/savepoint/*.java
//SOURCES ../../scripts/lib/sst/format/*.java
//DESCRIPTION Harness of inspect --entries --json (scripts/lib/savepoint): the same scan, with its output layers taken off one by one.
package statelab.xray;

import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import statelab.cli.CommandRunner;
import statelab.cli.ExitCode;
import statelab.cli.Output;
import statelab.savepoint.EntryJson;
import statelab.savepoint.KeyedStateDb;
import statelab.savepoint.SavepointLayout;
import statelab.savepoint.StateScan;
import statelab.savepoint.StateSource;

/**
 * What each layer of {@code inspect --entries --json} costs, on the product's own code: the savepoint is loaded and
 * scanned as {@code inspect} does ({@link SavepointLayout}, {@link StateScan}); only what is done with each entry
 * differs, by {@code --out}:
 * <ul>
 *   <li>{@code autoflush}: one JSON line per entry ({@link Output#toJson}, Jackson) through a PrintWriter that flushes
 *       at every println, as picocli's default {@code getOut()} does: what {@code inspect} did before 4cb4df2;
 *   <li>{@code buffered}: the same Jackson lines through a 64 KiB buffer, flushed once at the end: what
 *       {@code inspect} did from 4cb4df2 to 8ba13d7;
 *   <li>{@code bytes}: the lines as {@code inspect} writes them since 279ee7c: {@link EntryJson} writes an entry
 *       whose state has a simple layout straight from its key and value bytes ({@link StateScan#scanStreams});
 *   <li>{@code lines}: the lines as {@code inspect} wrote them from 0616cd0 to 279ee7c: each entry decoded, then
 *       written by {@link EntryJson} as bytes to stdout directly;
 *   <li>{@code decode}: every entry decoded ({@link StateScan#scan}), nothing printed;
 *   <li>{@code raw}: every entry's key and value bytes as {@code inspect} reads them since db5d917 (the block
 *       engine's merged scan of each state's SSTs), not decoded, nothing printed;
 *   <li>{@code rocksdb}: the same bytes read by RocksDB's iterator through JNI, as {@code inspect} read them before.
 * </ul>
 * Prints the JSON lines (first two modes) on stdout and one line of JSON with its own phase times on stderr.
 */
@Command(name = "ScanHarness", mixinStandardHelpOptions = true, version = "xray ScanHarness",
        description = "Scan a native savepoint's keyed state as inspect --entries --json does, with its output layers taken off one by one.")
public final class ScanHarness implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SAVEPOINT", description = "The savepoint directory.")
    Path savepoint;

    @Option(names = "--out", defaultValue = "autoflush", paramLabel = "MODE",
            description = "autoflush (as inspect before 4cb4df2), buffered (before 0616cd0), lines (before 279ee7c), bytes (inspect now), decode, raw or rocksdb (default: ${DEFAULT-VALUE}).")
    String out;

    /** Something that writes, its IOException unchecked (the scan's sinks cannot throw it). */
    interface Io {
        void run() throws java.io.IOException;
    }

    static void io(Io action) {
        try {
            action.run();
        } catch (java.io.IOException x) {
            throw new java.io.UncheckedIOException(x);
        }
    }

    public static void main(String[] args) {
        CommandRunner.main(new ScanHarness(), args);
    }

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        SavepointLayout layout = SavepointLayout.load(savepoint);
        layout.requireNative();
        StateScan scan = new StateScan(layout);
        long t1 = System.nanoTime();
        long[] n = new long[2];
        switch (out) {
            case "autoflush", "buffered" -> {
                PrintWriter w = out.equals("autoflush")
                        ? new PrintWriter(new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8)), true)
                        : new PrintWriter(new BufferedWriter(new OutputStreamWriter(new FileOutputStream(FileDescriptor.out), StandardCharsets.UTF_8), 1 << 16), false);
                scan.scan(StateScan.Filter.ALL, (e, k, v) -> {
                    n[0]++;
                    w.println(Output.toJson(e));
                    return true;
                });
                w.flush();
            }
            case "bytes" -> {
                EntryJson lines = new EntryJson(new FileOutputStream(FileDescriptor.out));
                scan.scanStreams(StateScan.Filter.ALL, stream -> {
                    n[0]++;
                    io(() -> lines.write(stream));
                    return true;
                });
                io(lines::flush);
            }
            case "lines" -> {
                EntryJson lines = new EntryJson(new FileOutputStream(FileDescriptor.out));
                scan.scan(StateScan.Filter.ALL, (e, k, v) -> {
                    n[0]++;
                    io(() -> lines.write(e));
                    return true;
                });
                io(lines::flush);
            }
            case "rocksdb" -> {
                for (StateScan.OperatorState op : scan.operators()) {
                    for (StateScan.Subtask sub : op.subtasks()) {
                        try (KeyedStateDb db = KeyedStateDb.open(sub.files())) {
                            for (String state : db.states()) {
                                try (StateSource.Cursor c = db.rocksDbScan(state)) {
                                    while (c.next()) {
                                        n[0]++;
                                        n[1] += c.key().length + c.value().length;
                                    }
                                }
                            }
                        }
                    }
                }
            }
            case "decode" -> scan.scan(StateScan.Filter.ALL, (e, k, v) -> {
                n[0]++;
                n[1] += e.note() == null ? 0 : 1;
                return true;
            });
            case "raw" -> {
                for (StateScan.OperatorState op : scan.operators()) {
                    try (StateScan.Opened opened = scan.open(op)) {
                        for (String state : opened.states()) {
                            try (StateScan.Stream s = opened.stream(state)) {
                                while (s.next()) {
                                    n[0]++;
                                    n[1] += s.key().length + s.value().length;
                                }
                            }
                        }
                    }
                }
            }
            default -> {
                System.err.println("ScanHarness: --out must be autoflush, buffered, lines, bytes, decode, raw or rocksdb, not " + out);
                return ExitCode.USAGE.code;
            }
        }
        long t2 = System.nanoTime();
        System.err.printf("{\"out\":\"%s\",\"entries\":%d,\"loadMillis\":%d,\"scanMillis\":%d}%n", out, n[0],
                (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
        return ExitCode.OK.code;
    }
}
