#!/usr/bin/env bash
# Where swap-sst --mode block spends its time and memory (README.md beside this file, "Where it goes").
#
#   bench/sst-engine/diagnose.sh [--rev REV | --worktree] [--sizes "100MiB 1GiB 4GiB"] [--repeat 3]
#
# Runs the JVM exactly as ./jbang starts swap-sst (the options and CDS archive of `./jbang info tools`, the
# classpath of `./jbang info classpath`), plus diagnostics: -Xlog:class+load and -Xlog:gc with JVM uptime, and
# Native Memory Tracking (summary at exit); under GNU time for wall, CPU and peak RSS. The phases come from the
# moment the class each phase needs first is loaded:
#   JVM start ........... until statelab.SwapSst
#   CLI set-up .......... until statelab.savepoint.SstFile (picocli, Jackson, Flink's key codec, the savepoint path)
#   RocksDB inspect ..... until statelab.sst.rewrite.BlockRewriter (SstFile.inspect: librocksdbjni extracted and
#                         loaded, SstFileReader reads the table properties)
#   read index .......... until BlockRewriter$TouchedBlock (BlockBasedTable.read: the index block decoded into
#                         one Java object per data block)
#   copy raw ............ until statelab.sst.format.ByteSink (last block decoded, then the sendfile of the prefix)
#   re-encode+fsync ..... until BlockRewriter$Result (changed block, index, properties, metaindex, footer; fsync)
#   commit+exit ......... until the process ended (rename over the original, directory fsync, JSON, JVM exit)
# The first two also happen for `./jbang swap-sst --version`... except the CLI set-up, which --version skips.
# Then strace -T of one 1 GiB run (sendfile, fsync, rename) and the engine's own phase millis through
# bench/blockcopy/BlockCopy.java (same engine, no RocksDB inspect). Inputs: bench/work/sst-engine/sw-SIZE.sst
# (run.sh makes them). Prints Markdown; run.sh does not call it.
set -euo pipefail
here=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$root/bench/work/sst-engine"
rev=HEAD
sizes="100MiB 1GiB 4GiB"
repeat=3
while [ $# -gt 0 ]; do
  case "$1" in
    --rev) rev=$2; shift 2 ;;
    --worktree) rev=""; shift ;;
    --sizes) sizes=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "diagnose.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
if [ -n "$rev" ]; then
  sha=$(git -C "$root" rev-parse --short=12 "$rev^{commit}")
  co="$work/checkout-$sha"
  if [ ! -f "$co/.complete" ]; then
    rm -rf "$co" && mkdir -p "$co" && git -C "$root" archive "$sha" | tar -x -C "$co" && touch "$co/.complete"
  fi
  what="commit $sha"
else
  co=$root
  what="working tree at $(git -C "$root" rev-parse --short=12 HEAD)"
fi
cd "$co"
./jbang swap-sst --version >/dev/null 2>&1 # built, CDS archive written
cp_swap=$(./jbang info classpath scripts/SwapSst.java 2>/dev/null)
mapfile -t opts < <(./jbang info tools scripts/SwapSst.java 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("\n".join(d.get("runtimeOptions", [])))
if d.get("applicationJsa"): print("-XX:SharedArchiveFile=" + d["applicationJsa"])')
d="$work/diag"
mkdir -p "$d"

echo "## Where the time and memory go: $what, $(date -u +%Y-%m-%dT%H:%M:%SZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "JVM: java ${opts[*]} -cp <swap-sst's classpath> statelab.SwapSst --mode block --json FILE, plus the diagnostics."
echo "Seconds, medians of $repeat runs (each phase ends when the class it needs first is loaded; see diagnose.sh)."
echo
echo "| size | wall | CPU | JVM start | CLI set-up | RocksDB inspect | read index | copy raw | re-encode+fsync | commit+exit | GC pauses | heap after GC MB | heap committed MB | NMT total committed MB | peak RSS MiB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for size in $sizes; do
  f="$work/sw-$size.sst"
  [ -f "$f" ] || { echo "diagnose.sh: $f missing (run run.sh first)" >&2; exit 1; }
  cat "$f" > /dev/null
  for i in $(seq 1 "$repeat"); do
    /usr/bin/time -f '%e %U %S %M' -o "$d/time-$size-$i" java "${opts[@]}" \
      "-Xlog:class+load:file=$d/classes-$size-$i.txt:uptime" "-Xlog:gc:file=$d/gc-$size-$i.txt:uptime" \
      -XX:NativeMemoryTracking=summary -XX:+UnlockDiagnosticVMOptions -XX:+PrintNMTStatistics \
      -cp "$cp_swap" statelab.SwapSst --mode block --json "$f" > "$d/out-$size-$i.txt" 2>&1
  done
  python3 - "$d" "$size" "$repeat" <<'PY'
import re, statistics, sys
d, size, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
marks = ["statelab.SwapSst", "statelab.savepoint.SstFile", "statelab.sst.rewrite.BlockRewriter",
         "statelab.sst.rewrite.BlockRewriter$TouchedBlock", "statelab.sst.format.ByteSink",
         "statelab.sst.rewrite.BlockRewriter$Result"]
cols = {k: [] for k in ["wall", "cpu", "p0", "p1", "p2", "p3", "p4", "p5", "p6", "gc", "after", "heap", "nmt", "rss"]}
for i in range(1, repeat + 1):
    wall, user, sys_, rss = open("%s/time-%s-%d" % (d, size, i)).read().split()[-4:]
    seen = {}
    for line in open("%s/classes-%s-%d.txt" % (d, size, i)):
        m = re.match(r"\[([\d.]+)s\] (\S+) ", line)
        if m and m.group(2) in marks and m.group(2) not in seen:
            seen[m.group(2)] = float(m.group(1))
    t = [0.0] + [seen[k] for k in marks] + [float(wall)]
    for j in range(7):
        cols["p%d" % j].append(t[j + 1] - t[j])
    gc = open("%s/gc-%s-%d.txt" % (d, size, i)).read()
    cols["gc"].append(sum(float(x) for x in re.findall(r"([\d.]+)ms$", gc, re.M)) / 1000)
    after = [int(x) for x in re.findall(r"->(\d+)M\(", gc)]
    cols["after"].append(max(after) if after else 0)
    out = open("%s/out-%s-%d.txt" % (d, size, i)).read()
    heap = re.search(r"Java Heap \(reserved=\d+, committed=(\d+)\)", out)
    total = re.search(r"Total: reserved=\d+, committed=(\d+)", out)
    cols["heap"].append(int(heap.group(1)) / 1e6 if heap else 0)
    cols["nmt"].append(int(total.group(1)) / 1e6 if total else 0)
    cols["wall"].append(float(wall))
    cols["cpu"].append(float(user) + float(sys_))
    cols["rss"].append(int(rss) / 1024)
m = {k: statistics.median(v) for k, v in cols.items()}
print("| %s | %.2f | %.2f | %s | %.2f | %.0f | %.0f | %.0f | %.0f |" % (
    size, m["wall"], m["cpu"], " | ".join("%.2f" % m["p%d" % j] for j in range(7)), m["gc"], m["after"], m["heap"],
    m["nmt"], m["rss"]))
PY
done
echo
echo "GC log of the last run of each size:"
echo
echo '```'
for size in $sizes; do echo "$size:"; sed 's/^/  /' "$d/gc-$size-$repeat.txt"; done
echo '```'

echo
echo "System calls of one 1 GiB run (strace -f -T; the copy, the fsyncs, the rename over the original):"
echo
echo '```'
cat "$work/sw-1GiB.sst" > /dev/null
strace -f -T -e trace=sendfile,copy_file_range,fsync,fdatasync,rename,renameat,renameat2 -o "$d/strace-1GiB.txt" \
  java "${opts[@]}" -cp "$cp_swap" statelab.SwapSst --mode block --json "$work/sw-1GiB.sst" > /dev/null 2>&1
sed -E 's/^[0-9]+ +//; s#/[^"]*/##g' "$d/strace-1GiB.txt" | grep -v -E '^\+\+\+|^---'
echo '```'

echo
echo "The engine's own phases (bench/blockcopy/BlockCopy.java --json IN OUT: the same BlockRewriter, no RocksDB inspect, no rename), ms:"
echo
echo '```'
for size in $sizes; do
  cat "$work/flink-$size.sst" > /dev/null
  for i in $(seq 1 "$repeat"); do
    rm -f "$d/bc-$size.out.sst"
    /usr/bin/time -f 'wall %e s, peak RSS %M KiB' -o "$d/bc-time" ./jbang bench/blockcopy/BlockCopy.java --json \
      "$work/flink-$size.sst" "$d/bc-$size.out.sst" 2>/dev/null | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print(sys.argv[1], r["millis"], end=", ")' "$size"
    cat "$d/bc-time"
  done
  rm -f "$d/bc-$size.out.sst"
done
echo '```'
