#!/usr/bin/env python3
"""Where the CPU of one `inspect --entries --json` run goes, from async-profiler's collapsed stacks (run.sh calls this).

  profile.py COLLAPSED.txt INTERVAL_MS

Each stack is put in the first of these groups one of its frames matches (all threads: JIT and GC included), and
the groups are printed with their samples, share and CPU time (samples x interval).
"""
import collections
import sys

GROUPS = [
    ("JSON lines: EntryJson, each entry's line as bytes, and the write(2) calls (kernel time included)", ["statelab/savepoint/EntryJson"]),
    ("println: PrintWriter.println, its buffers and write(2) calls (kernel time included)", ["java/io/PrintWriter.println"]),
    ("JSON: Jackson ObjectMapper.writeValueAsString per entry", ["statelab/cli/Output.toJson"]),
    ("decode: Flink serializers and hex of key and value", ["statelab/savepoint/StateScan.decode"]),
    ("block engine: each state's SSTs read and merged (TableEntries, MergedTables, checksums, Snappy)",
     ["statelab/savepoint/MergedTables", "statelab/sst/format/TableEntries"]),
    ("RocksDB iterator: next/isValid/key/value through JNI, block reads", ["org/rocksdb/RocksIterator", "KeyedStateDb$Cursor"]),
    ("savepoint _metadata, serializer snapshots, RocksDB open", ["statelab/savepoint/SavepointLayout", "KeyedStateDb.open",
                                                                "StateScan.codec", "statelab/savepoint/StateScan.operators"]),
    ("JIT compiler threads", ["CompileBroker", "C2Compiler", "C1Compiler", "CompilerThread"]),
    ("GC and other VM threads", ["VMThread", "GCTaskThread", "ConcurrentGCThread", "WatcherThread"]),
    ("main thread, other (class loading, picocli, start-up, exit)", ["Inspect.main", "JavaMain", "LauncherHelper"]),
]


def main():
    path, interval = sys.argv[1], float(sys.argv[2])
    counts = collections.Counter()
    total = 0
    for line in open(path):
        line = line.rstrip("\n")
        if not line or " " not in line:
            continue
        stack, n = line.rsplit(" ", 1)
        n = int(n)
        total += n
        for name, keys in GROUPS:
            if any(k in stack for k in keys):
                counts[name] += n
                break
        else:
            counts["other"] += n
    print("%-86s %8s %7s %9s" % ("group (first match)", "samples", "share", "CPU s"))
    for name, _ in GROUPS + [("other", [])]:
        if counts[name]:
            print("%-86s %8d %6.1f%% %9.2f" % (name, counts[name], 100.0 * counts[name] / total, counts[name] * interval / 1000))
    print("%-86s %8d %6.1f%% %9.2f" % ("all", total, 100.0, total * interval / 1000))


if __name__ == "__main__":
    main()
