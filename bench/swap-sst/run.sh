#!/usr/bin/env bash
# The swap-sst benchmark (README.md beside this file says what it measures and why).
#
#   bench/swap-sst/run.sh [--sizes "64MiB 256MiB 1GiB"] [--runs 3] [--cold-sizes "1GiB"] [--hot-sizes SIZES]
#                         [--baseline REV]
#
# Generates one Flink-like SST per size into bench/work/swap-sst/ (git-ignored; kept for the next run), then
# for each size and cache state runs, in rounds that rotate the order, each of:
#   cp            cp of the input (the physical floor, as the product owner measured it: no fsync)
#   cp+fsync      cp, then fsync of the copy (swap-sst fsyncs its output before the rename, so this is its floor)
#   jbang         ./jbang swap-sst --json COPY   (the user's path: JBang's launcher JVM, then the command's JVM)
#   java          java <swap-sst's JVM options> -cp <its classpath> statelab.SwapSst --json COPY: what JBang execs,
#                 without JBang (options, classpath and CDS archive from `jbang info tools` / `info classpath`)
#   java-baseline the same, with SstRewriter as of REV compiled in front of it (only with --baseline; hot only;
#                 without the CDS archive, which does not match that classpath)
# each under GNU time (wall, CPU, peak RSS). Every swap-sst output is checked against the input by VerifySwap
# (the first of each size entry by entry). "hot": the file to read is in the page cache (fincore says how much);
# "cold": it was evicted just before, with dd iflag=nocache (this file only, not the machine's whole cache).
# Results: bench/swap-sst/results/<UTC time>.tsv (one line per run) and .md (the summary tables).
set -euo pipefail

here=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$root/bench/work/swap-sst"
sizes="64MiB 256MiB 1GiB"
runs=3
cold_sizes="1GiB"
baseline=""
while [ $# -gt 0 ]; do
  case "$1" in
    --sizes) sizes=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --cold-sizes) cold_sizes=$2; shift 2 ;;
    --hot-sizes) hot_sizes=$2; shift 2 ;;
    --baseline) baseline=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for tool in /usr/bin/time fincore python3 java; do
  command -v "$tool" >/dev/null || { echo "run.sh: needs $tool" >&2; exit 1; }
done

mkdir -p "$work" "$here/results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
tsv="$here/results/$stamp.tsv"
log="$work/$stamp.log"
say() { echo "run.sh: $*" >&2; }

# ---- the machine --------------------------------------------------------------------------------------------
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "nproc: $(nproc)"
  echo "cpu: $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)"
  echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
  echo "disk: $(df -h "$work" | awk 'NR==2 {print $1 ", " $2 " total, " $4 " free"}'), $(findmnt -no FSTYPE -T "$work" 2>/dev/null)"
  echo "kernel: $(uname -r)"
  echo "java: $(java -version 2>&1 | head -n 2 | tr '\n' ' ')"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "swap-sst: rocksdbjni 10.10.1, checkout $(cd "$root" && git rev-parse --short HEAD)$(cd "$root" && git diff --quiet HEAD -- scripts/lib/savepoint || echo ' + uncommitted changes in scripts/lib/savepoint')"
  [ -z "$baseline" ] || echo "java-baseline: SstRewriter.java as of $baseline ($(cd "$root" && git rev-parse --short "$baseline"))"
} > "$here/results/$stamp.machine.txt"
cat "$here/results/$stamp.machine.txt" >&2

# ---- build once; the classpaths ----------------------------------------------------------------------------
cd "$root"
classpath_of() { # build, then the classpath, whose first entry is the built jar; again if a source changed between
  local cp
  for _ in 1 2 3 4 5; do
    ./jbang build "$1" >>"$log" 2>&1
    cp=$(./jbang info classpath "$1")
    if [ -f "${cp%%:*}" ]; then printf '%s\n' "$cp"; return 0; fi
  done
  echo "run.sh: cannot build $1 (see $log)" >&2
  return 1
}
cp_swap=$(classpath_of scripts/SwapSst.java)
cp_gen=$(classpath_of bench/GenerateSst.java)
cp_verify=$(classpath_of bench/swap-sst/VerifySwap.java)
# The JVM options JBang gives swap-sst (the //JAVA_OPTIONS of its sources) and its class-data-sharing archive, which
# ./jbang writes at the second launch of a kept command line (bootstrap/.exec/swap-sst.jsa; before 2026-12-02 JBang
# wrote it, the catalog's "cds"): "java" runs exactly what ./jbang execs.
./jbang swap-sst --version >>"$log" 2>&1
./jbang swap-sst --version >>"$log" 2>&1
mapfile -t java_opts < <(./jbang info tools scripts/SwapSst.java | python3 -c '
import json, sys
print("\n".join(json.load(sys.stdin).get("runtimeOptions", [])))')
jsa="$PWD/bootstrap/.exec/swap-sst.jsa"
[ -f "$jsa" ] || jsa=$(./jbang info tools scripts/SwapSst.java | python3 -c 'import json, sys; print(json.load(sys.stdin).get("applicationJsa", ""))')
java_swap=(java "${java_opts[@]}")
[ -n "$jsa" ] && [ -f "$jsa" ] && java_swap+=("-XX:SharedArchiveFile=$jsa")
echo "swap-sst JVM: ${java_swap[*]} -cp <classpath> statelab.SwapSst" >> "$here/results/$stamp.machine.txt"
modes="cp cp+fsync jbang java"
if [ -n "$baseline" ]; then
  rm -rf "$work/baseline" && mkdir -p "$work/baseline/src" "$work/baseline/classes"
  git show "$baseline:scripts/lib/savepoint/SstRewriter.java" > "$work/baseline/src/SstRewriter.java"
  javac -nowarn -cp "$cp_swap" -d "$work/baseline/classes" "$work/baseline/src/SstRewriter.java" >>"$log" 2>&1
  cp_baseline="$work/baseline/classes:$cp_swap" # without the CDS archive, which is for the unchanged classpath
  modes="$modes java-baseline"
fi

# ---- inputs, generated once --------------------------------------------------------------------------------
for size in $sizes; do
  input="$work/input-$size.sst"
  if [ ! -f "$input" ] || [ ! -s "$input.json" ]; then
    rm -f "$input" "$input.json"
    say "generating $input"
    java -cp "$cp_gen" statelab.bench.GenerateSst --json --size "$size" "$input" > "$input.json" 2>>"$log"
  fi
  say "input $size: $(cat "$input.json")"
done

# ---- one timed run -----------------------------------------------------------------------------------------
printf 'size\tcache\tround\tmode\twall_s\tuser_s\tsys_s\tmax_rss_kib\tcached_pct\tload1\tentries\tswap_millis\tverified\n' > "$tsv"

cached_pct() { # share of the file in the page cache, in percent
  fincore --bytes --noheadings --output RES,SIZE "$1" | awk '{printf "%.0f", ($2 > 0 ? 100 * $1 / $2 : 0)}'
}
evict() { dd if="$1" iflag=nocache count=0 status=none; }
elapsed_s() { # GNU time's "h:mm:ss.ss" or "m:ss.ss" in seconds
  awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }' <<<"$1"
}

run_one() { # size cache round mode input
  local size=$1 cache=$2 round=$3 mode=$4 input=$5
  local scratch="$work/scratch.sst" out="$work/stdout.txt" tfile="$work/time.txt" read_file
  rm -f "$scratch" "$out"
  case "$mode" in
    cp|cp+fsync) read_file=$input ;;
    *) cp "$input" "$scratch" && sync "$scratch"; read_file=$scratch ;;
  esac
  if [ "$cache" = cold ]; then evict "$read_file"; else cat "$read_file" > /dev/null; fi
  # Never time a JBang rebuild (other people edit the sources too), nor the launch after one, which writes the
  # command's CDS archive at exit: an untimed --version launch does both.
  [ "$mode" = jbang ] && ./jbang swap-sst --version >>"$log" 2>&1
  local cached load1
  cached=$(cached_pct "$read_file")
  load1=$(cut -d' ' -f1 /proc/loadavg)
  case "$mode" in
    cp) /usr/bin/time -v -o "$tfile" cp "$input" "$scratch" ;;
    cp+fsync) /usr/bin/time -v -o "$tfile" sh -c 'cp "$1" "$2" && sync "$2"' sh "$input" "$scratch" ;;
    jbang) /usr/bin/time -v -o "$tfile" ./jbang swap-sst --json "$scratch" > "$out" 2>>"$log" ;;
    java) /usr/bin/time -v -o "$tfile" "${java_swap[@]}" -cp "$cp_swap" statelab.SwapSst --json "$scratch" > "$out" 2>>"$log" ;;
    java-baseline) /usr/bin/time -v -o "$tfile" java "${java_opts[@]}" -cp "$cp_baseline" statelab.SwapSst --json "$scratch" \
      > "$out" 2>>"$log" ;;
  esac
  local wall user sys rss entries="" millis="" verified="-"
  wall=$(elapsed_s "$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tfile")")
  user=$(sed -n 's/.*User time (seconds): //p' "$tfile")
  sys=$(sed -n 's/.*System time (seconds): //p' "$tfile")
  rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tfile")
  if [ -s "$out" ]; then
    read -r entries millis verified < <(python3 - "$out" "$input.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
expected = json.load(open(sys.argv[2]))["entries"]
ok = r["entries"] == expected and len(r["changed"]) == 5 and all(c["newHex"] == "0" * 16 for c in r["changed"])
print(r["entries"], r["millis"], "json-ok" if ok else "json-BAD")
PY
)
    local depth=tail
    [ "$round" = 1 ] && [ "$cache" = hot ] && [ "$mode" = jbang ] && depth=full
    if java -cp "$cp_verify" statelab.bench.VerifySwap $([ "$depth" = full ] && echo --full) "$input" "$scratch" >>"$log" 2>&1; then
      verified="$verified+$depth-ok"
    else
      verified="$verified+VERIFY-FAILED"
    fi
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$size" "$cache" "$round" "$mode" "$wall" "$user" "$sys" \
    "$rss" "$cached" "$load1" "$entries" "$millis" "$verified" | tee -a "$tsv" >&2
  rm -f "$scratch" "$work"/scratch.sst.* "$out"
}

# ---- launcher overhead: the same command's --version, through JBang and directly ---------------------------
for round in 1 2 3 4 5; do
  for mode in jbang java; do
    ./jbang swap-sst --version >>"$log" 2>&1
    case "$mode" in
      jbang) /usr/bin/time -v -o "$work/time.txt" ./jbang swap-sst --version > /dev/null ;;
      java) /usr/bin/time -v -o "$work/time.txt" "${java_swap[@]}" -cp "$cp_swap" statelab.SwapSst --version > /dev/null ;;
    esac
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t-\t%s\t\t\t\n' "--version" "-" "$round" "$mode" \
      "$(elapsed_s "$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time.txt")")" \
      "$(sed -n 's/.*User time (seconds): //p' "$work/time.txt")" "$(sed -n 's/.*System time (seconds): //p' "$work/time.txt")" \
      "$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$tsv" >&2
  done
done

# ---- the runs: per size and cache state, rounds of every mode in rotating order ----------------------------
for size in $sizes; do
  caches="" # hot: every size unless --hot-sizes (which may be "")
  case " ${hot_sizes-$sizes} " in *" $size "*) caches="hot" ;; esac
  case " $cold_sizes " in *" $size "*) caches="$caches cold" ;; esac
  for cache in $caches; do
    read -r -a mode_list <<<"$modes"
    [ "$cache" = cold ] && read -r -a mode_list <<<"${modes% java-baseline}" # the before/after comparison is hot only
    for round in $(seq 1 "$runs"); do
      n=${#mode_list[@]}
      for i in $(seq 0 $((n - 1))); do
        run_one "$size" "$cache" "$round" "${mode_list[$(((i + round - 1) % n))]}" "$work/input-$size.sst"
      done
    done
  done
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$here/results/$stamp.machine.txt"
python3 "$here/summarize.py" "$tsv" | tee "$here/results/$stamp.md"
say "raw: $tsv; summary: $here/results/$stamp.md; log: $log"
