#!/usr/bin/env bash
# Timing of the block-copy prototype against cp and the current swap-sst (SstRewriter) on one big SST.
# Usage: bench/blockcopy/bench.sh [SST] [ROUNDS]
#   SST defaults to bench/work/blockcopy/flink-1g.sst (make it with ./jbang bench/GenerateSst.java FILE --size 1GiB).
# Each round runs every variant once, in an order rotated from round to round; every run is timed by
# /usr/bin/time -v (wall clock, peak RSS). Raw runs go to bench/work/blockcopy/runs.tsv, then a table of
# medians (and ratios to cp) is printed. The input stays in the page cache (24 GiB RAM); outputs are deleted
# after each run. Variants that fsync say so: cp+sync is the floor for them.
set -u -o pipefail
here=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$root/bench/work/blockcopy"
in=${1:-$work/flink-1g.sst}
rounds=${2:-3}
out="$work/bench-out.sst"
runs="$work/runs.tsv"
cd "$root"

# name | command (IN and OUT substituted); swap-sst rewrites a fresh copy of IN in place (the copy is untimed)
variants=(
  "cp|cp IN OUT"
  "cp+sync|cp IN OUT && sync OUT"
  "block-copy|./jbang bench/blockcopy/BlockCopy.java IN OUT --json"
  "block-copy --no-sync|./jbang bench/blockcopy/BlockCopy.java IN OUT --json --no-sync"
  "block-copy --verify-copied|./jbang bench/blockcopy/BlockCopy.java IN OUT --json --verify-copied"
  "swap-sst (SstRewriter)|./jbang swap-sst --json OUT"
  "jvm+jbang startup only|./jbang bench/blockcopy/BlockCopy.java --version"
)

# Build every script once, outside the timings.
./jbang build bench/blockcopy/BlockCopy.java >/dev/null 2>&1
./jbang build scripts/SwapSst.java >/dev/null 2>&1

printf 'round\tvariant\twall_s\tmax_rss_kb\tinner_ms\tout_bytes\n' >"$runs"
n=${#variants[@]}
for ((r = 0; r < rounds; r++)); do
  for ((k = 0; k < n; k++)); do
    v=${variants[$(((k + r) % n))]}
    name=${v%%|*}
    cmd=${v#*|}
    rm -f "$out"
    if [[ $name == swap-sst* ]]; then cp "$in" "$out"; sync "$out"; fi
    cmd=${cmd//IN/$in}
    cmd=${cmd//OUT/$out}
    log="$work/run.log"
    /usr/bin/time -v bash -c "$cmd" >"$log.out" 2>"$log" || { echo "run failed: $name (see $log)" >&2; }
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$log" | awk -F: '{ if (NF == 3) print $1 * 3600 + $2 * 60 + $3; else print $1 * 60 + $2 }')
    rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$log")
    inner=$(grep -o '"total":[0-9]*' "$log.out" | head -1 | cut -d: -f2)
    [ -z "$inner" ] && inner=$(grep -o '"millis":[0-9]*' "$log.out" | head -1 | cut -d: -f2)
    bytes=$(stat -c %s "$out" 2>/dev/null || echo 0)
    printf '%d\t%s\t%s\t%s\t%s\t%s\n' "$r" "$name" "$wall" "$rss" "${inner:--}" "$bytes" | tee -a "$runs"
    rm -f "$out"
  done
done

python3 - "$runs" "$in" <<'PY'
import csv, os, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter='\t'))
size = os.path.getsize(sys.argv[2])
names = list(dict.fromkeys(r['variant'] for r in rows))
med = {n: statistics.median(float(r['wall_s']) for r in rows if r['variant'] == n) for n in names}
print(f"\ninput: {sys.argv[2]}, {size:,} bytes ({size / 2**30:.2f} GiB); {len(rows) // len(names)} rounds\n")
print("| variant | median wall s | s/GiB | x cp | x cp+sync | runs (s) | peak RSS MiB (max) | in-process ms (median) |")
print("|---|---:|---:|---:|---:|---|---:|---:|")
for n in names:
    rs = [r for r in rows if r['variant'] == n]
    inner = [float(r['inner_ms']) for r in rs if r['inner_ms'] not in ('-', '')]
    print(f"| {n} | {med[n]:.2f} | {med[n] / (size / 2**30):.2f} | {med[n] / med['cp']:.1f} | {med[n] / med['cp+sync']:.2f} | "
          f"{', '.join(r['wall_s'] for r in rs)} | {max(int(r['max_rss_kb']) for r in rs) / 1024:.0f} | "
          f"{statistics.median(inner):.0f} |" if inner else
          f"| {n} | {med[n]:.2f} | {med[n] / (size / 2**30):.2f} | {med[n] / med['cp']:.1f} | {med[n] / med['cp+sync']:.2f} | "
          f"{', '.join(r['wall_s'] for r in rs)} | {max(int(r['max_rss_kb']) for r in rs) / 1024:.0f} | - |")
PY
