#!/usr/bin/env bash
# The sst-engine benchmark (README.md beside this file says what and why): `swap-sst --mode block` against a C++
# streaming rewrite of a 100 MiB SST, against `cp` of 1 GiB, its peak RSS on 1 GiB and 4 GiB, and
# `--in-place --mode same-size` on 1 GiB (skipped, with a note, while swap-sst has no --in-place).
#
#   bench/sst-engine/run.sh [--runs 5] [--warmup 1] [--rev REV | --worktree]
#
#   --rev REV    swap-sst as committed at REV (default HEAD), run from a `git archive` snapshot in
#                bench/work/sst-engine/checkout-<sha>/: others edit scripts/ while a benchmark runs, and a
#                snapshot is never rebuilt or broken mid-run.
#   --worktree   swap-sst from the working tree as it is (uncommitted changes included).
#   BENCH_AB     (environment) the A/B timer: a command taking  -n RUNS --warmup W --timeout S --vs 'B' -- A ...
#                and printing ab.py's rows; default: python3 bench/sst-engine/ab.py (public: Python's wait4).
#
# Each comparison runs A and B in turn (A B A B ...) RUNS times after WARMUP uncounted runs of each, as whole
# processes (JVM start included), with every input in the page cache. Inputs are generated once into
# bench/work/sst-engine/ (git-ignored, 5.2 GiB, kept for the next run) with bench/GenerateSst.java; the C++ tool
# is built by build-cpp.sh (apt-get installs g++ and librocksdb-dev if missing). Needs ~16 GiB free disk.
# Results: bench/sst-engine/results/<UTC stamp>.md (summary, goals, and every timer output row).
set -euo pipefail

here=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$root/bench/work/sst-engine"
runs=5
warmup=1
rev=HEAD
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --rev) rev=$2; shift 2 ;;
    --worktree) rev=""; shift ;;
    -h|--help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for tool in java python3 git tar fincore; do
  command -v "$tool" >/dev/null || { echo "run.sh: needs $tool" >&2; exit 1; }
done
read -r -a ab <<<"${BENCH_AB:-python3 $here/ab.py}"

mkdir -p "$work" "$here/results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
results="$here/results/$stamp.md"
body="$work/$stamp.body.md"
log="$work/$stamp.log"
: > "$body"
say() { echo "run.sh: $*" >&2; }
started=$SECONDS

# ---- which swap-sst ----------------------------------------------------------------------------------------
# shellcheck source=../snapshot.sh
. "$here/../snapshot.sh"
# shellcheck source=../abrows.sh
. "$here/../abrows.sh"
snapshot "$root" "$work" "$rev"
cd "$co"
say "swap-sst from $checkout"

machine="$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, kernel $(uname -r), $(java -version 2>&1 | head -n 1), disk $(df -h "$work" | awk 'NR==2 {print $1 " " $4 " free"}'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "$machine"

# ---- inputs, generated once ---------------------------------------------------------------------------------
sizes="100MiB 1GiB 4GiB"
for size in $sizes; do
  input="$work/flink-$size.sst"
  if [ ! -s "$input" ] || [ ! -s "$work/flink-$size.json" ]; then
    rm -f "$input" "$work/flink-$size.json"
    say "generating $input (4 GiB: about 3 minutes)"
    ./jbang bench/GenerateSst.java "$input" --size "$size" --json > "$work/flink-$size.json" 2>>"$log"
  fi
done
entries_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["entries"])' "$work/flink-$1.json"; }

# ---- the C++ streaming rewrite, built and checked once -------------------------------------------------------
cpp=$("$here/build-cpp.sh")
say "C++ tool: $cpp"
# untimed: JBang's build of swap-sst; the launcher's list of the classes it loads, then its class-data archive
./jbang swap-sst --version >>"$log" 2>&1
./jbang swap-sst --version >>"$log" 2>&1
./jbang bench/swap-sst/VerifySwap.java --version >>"$log" 2>&1
./jbang bench/blockcopy/InspectSst.java --version >>"$log" 2>&1 || true
{
  echo "## The C++ streaming rewrite, checked once"
  echo
  echo '```'
  echo "\$ swap_sst_stream flink-100MiB.sst cpp-100MiB.out.sst"
  "$cpp" "$work/flink-100MiB.sst" "$work/cpp-100MiB.out.sst" 2>&1
  echo "\$ ./jbang bench/swap-sst/VerifySwap.java --full flink-100MiB.sst cpp-100MiB.out.sst"
  ./jbang bench/swap-sst/VerifySwap.java --full "$work/flink-100MiB.sst" "$work/cpp-100MiB.out.sst" 2>&1 || echo "VERIFY FAILED (exit $?)"
  echo
  echo "\$ ./jbang bench/blockcopy/InspectSst.java flink-100MiB.sst; … cpp-100MiB.out.sst   (table layout, first lines)"
  ./jbang bench/blockcopy/InspectSst.java "$work/flink-100MiB.sst" 2>&1 | head -n 12 || true
  ./jbang bench/blockcopy/InspectSst.java "$work/cpp-100MiB.out.sst" 2>&1 | head -n 12 || true
  echo '```'
  echo
} >> "$body"

in_place=no
./jbang swap-sst --help 2>/dev/null | grep -q -- '--in-place' && in_place=yes
./jbang swap-sst --help 2>/dev/null | grep -q -- '--mode' || { echo "run.sh: this swap-sst has no --mode" >&2; exit 1; }

# ---- working copies (swap-sst rewrites its argument; every run zeroes the same 5 values again) --------------
for size in $sizes; do cp "$work/flink-$size.sst" "$work/sw-$size.sst"; done
[ "$in_place" = no ] || cp "$work/flink-1GiB.sst" "$work/ip-1GiB.sst"
sync
hot() { for f in "$@"; do cat "$f" > /dev/null; done; }

# ---- one comparison -----------------------------------------------------------------------------------------
# compare ID TITLE TIMEOUT 'B as one string' A ...   Appends a section to the body; the timer's rows go in as
# printed, less its own notes (lines this script does not know are dropped; exit lines are cut at ';').
compare() {
  local id=$1 title=$2 timeout=$3 b=$4; shift 4
  say "$id: $title"
  local out="$work/$stamp.$id.txt"
  local load_before load_after
  # the dirty pages the comparison before left (up to 4 GiB written) flushed first, untimed: else their writeback
  # lands in this comparison's fsyncs (goal 3 took 0.52 s right after g2-rss, 0.43 s in a run of its own)
  sync
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  "${ab[@]}" -n "$runs" --warmup "$warmup" --timeout "$timeout" --vs "$b" -- "$@" > "$out" 2>&1 || true
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  local cached
  cached=$(cd "$S" && for f in flink-*.sst sw-*.sst ip-*.sst; do [ -f "$f" ] && fincore --bytes --noheadings --output RES,SIZE "$f" \
    | awk -v f="$f" '{printf "%s %.0f%%, ", f, ($2 > 0 ? 100 * $1 / $2 : 0)}'; done | sed 's/, $//')
  {
    echo "### $id: $title"
    echo
    echo "load average before: $load_before; after: $load_after"
    echo "in the page cache after: $cached (each swap-sst run reads the file the run before it wrote)"
    for side in A B; do
      local f="$work/$stamp.$id.$side.json"
      [ -s "$f" ] || continue
      python3 - "$f" "$side" <<'PY'
import json, statistics, sys
path, side = sys.argv[1], sys.argv[2]
ms, cpp, bad = [], [], 0
for line in open(path):
    line = line.strip()
    if line.startswith("{"):
        r = json.loads(line)
        ms.append(r["millis"])
        if not (len(r["changed"]) == 5 and all(c["newHex"] in ("0" * 16, "01" * 8) for c in r["changed"])):
            bad += 1
        if r.get("inPlace") and not r.get("bytesWritten"):
            bad += 1  # an in-place run that patched nothing
    elif line.startswith("entries "):
        f = line.split()
        cpp.append(1000 * float(f[f.index("seconds") + 1]))
        bad += f[f.index("changed") + 1] != "5"
    elif line.startswith("error:"):
        bad += 1
xs = ms or cpp
if xs:
    what = "swap-sst's own millis (--json)" if ms else "the C++ tool's own seconds"
    print("%s in-process ms, %s, all runs with the warm-up: median %.0f (%.0f–%.0f), n %d, %s" %
          (side, what, statistics.median(xs), min(xs), max(xs), len(xs),
           "every result as expected" if bad == 0 else "%d UNEXPECTED results" % bad))
PY
    done
    echo
    echo '```'
    ab_rows '^peak floor' <"$out"
    echo '```'
    echo
  } >> "$body"
}

# One swap-sst run as one command for the timer: the value flips between 00.. and 01.. from run to run (a flag
# file beside the SST says which is stored), so that every run changes the stored value: since 663aa30 a value set
# to what it already is leaves its block as it was, and an in-place patch of it writes nothing. The JSON result is
# appended to LOG. (a test and a touch/rm in sh: about 2 ms.)
swap_cmd() { # SST LOG SWAP-SST-OPTIONS...
  local sst=$1 logf=$2; shift 2
  printf '%s' "if [ -e $sst.flip ]; then rm $sst.flip; v=0000000000000000; else touch $sst.flip; v=0101010101010101; fi; exec ./jbang swap-sst $* --value \$v --json $sst >>$logf 2>&1"
}

S="$work"
rm -f "$S"/*.flip
hot "$S/sw-100MiB.sst" "$S/flink-100MiB.sst"
compare g1 "100 MiB: swap-sst --mode block (A) vs the C++ streaming rewrite (B)" 900 \
  "sh -c 'exec $cpp $S/flink-100MiB.sst $S/cpp-100MiB.out.sst >>$S/$stamp.g1.B.json 2>&1'" \
  sh -c "$(swap_cmd "$S/sw-100MiB.sst" "$S/$stamp.g1.A.json" --mode block)"

hot "$S/sw-1GiB.sst" "$S/flink-1GiB.sst"
compare g2 "1 GiB: swap-sst --mode block (A) vs cp (B)" 1800 \
  "cp $S/flink-1GiB.sst $S/cp-1GiB.out.sst" \
  sh -c "$(swap_cmd "$S/sw-1GiB.sst" "$S/$stamp.g2.A.json" --mode block)"
rm -f "$S/cp-1GiB.out.sst"

compare g2-floor "1 GiB: swap-sst --mode block (A) vs the JVM floor, ./jbang swap-sst --version (B)" 1800 \
  "./jbang swap-sst --version" \
  sh -c "$(swap_cmd "$S/sw-1GiB.sst" "$S/$stamp.g2-floor.A.json" --mode block)"

compare g2-fsync "1 GiB: swap-sst --mode block (A) vs cp and fsync of the copy (B), its I/O floor" 1800 \
  "sh -c 'cp $S/flink-1GiB.sst $S/cp-1GiB.out.sst && sync $S/cp-1GiB.out.sst'" \
  sh -c "$(swap_cmd "$S/sw-1GiB.sst" "$S/$stamp.g2-fsync.A.json" --mode block)"
rm -f "$S/cp-1GiB.out.sst"

hot "$S/sw-4GiB.sst" "$S/sw-1GiB.sst"
compare g2-rss "swap-sst --mode block on 4 GiB (A) vs on 1 GiB (B): peak RSS flat in size?" 3600 \
  "sh -c '$(swap_cmd "$S/sw-1GiB.sst" "$S/$stamp.g2-rss.B.json" --mode block)'" \
  sh -c "$(swap_cmd "$S/sw-4GiB.sst" "$S/$stamp.g2-rss.A.json" --mode block)"

if [ "$in_place" = yes ]; then
  hot "$S/ip-1GiB.sst"
  compare g3 "1 GiB: swap-sst --in-place --mode same-size (A) vs the JVM floor, ./jbang swap-sst --version (B)" 900 \
    "./jbang swap-sst --version" \
    sh -c "$(swap_cmd "$S/ip-1GiB.sst" "$S/$stamp.g3.A.json" --in-place --mode same-size)"
else
  {
    echo "### g3: 1 GiB: swap-sst --in-place --mode same-size"
    echo
    echo "SKIPPED: \`./jbang swap-sst --help\` of $checkout does not list --in-place."
    echo
  } >> "$body"
  say "g3 skipped: swap-sst has no --in-place"
fi

# ---- the floor: what a swap-sst process costs before it touches a file ------------------------------------------
# ./jbang execs the JVM with a kept command line; the same JVM directly (options of `./jbang info tools`, the
# class-data archive the launcher wrote, classpath of `./jbang info classpath`); a bare JVM.
cp_swap=$(./jbang info classpath scripts/SwapSst.java 2>>"$log")
jvm_opts=$(./jbang info tools scripts/SwapSst.java 2>>"$log" | python3 -c '
import json, os, sys
d = json.load(sys.stdin)
jsa = "bootstrap/.exec/swap-sst.jsa"  # written by ./jbang; older revisions: the one JBang wrote
jsa = os.path.abspath(jsa) if os.path.exists(jsa) else d.get("applicationJsa")
o = d.get("runtimeOptions", []) + (["-XX:SharedArchiveFile=" + jsa] if jsa else [])
print(" ".join(o))')
read -r -a jvm_opts_a <<<"$jvm_opts"
compare f1 "./jbang swap-sst --version (A) vs the JVM it execs, java … statelab.SwapSst --version (B)" 300 \
  "java $jvm_opts -cp $cp_swap statelab.SwapSst --version" \
  ./jbang swap-sst --version
compare f2 "java … statelab.SwapSst --version (A) vs a bare JVM, java -XX:+UseSerialGC -version (B)" 300 \
  "java -XX:+UseSerialGC -version" \
  java "${jvm_opts_a[@]}" -cp "$cp_swap" statelab.SwapSst --version

# ---- outputs checked against their inputs -------------------------------------------------------------------
{
  echo "## Outputs checked against the inputs (bench/swap-sst/VerifySwap.java; --full: every entry)"
  echo
  echo '```'
  for check in "--full 100MiB sw" "- 1GiB sw" "- 4GiB sw" "- 1GiB ip"; do
    read -r full size prefix <<<"$check"
    [ -f "$S/$prefix-$size.sst" ] || continue
    [ "$full" = - ] && full=""
    value=""
    [ -e "$S/$prefix-$size.sst.flip" ] && value="--value=0101010101010101"
    echo "\$ VerifySwap $full $value flink-$size.sst $prefix-$size.sst   (entries: $(entries_of "$size"))"
    ./jbang bench/swap-sst/VerifySwap.java $full $value "$S/flink-$size.sst" "$S/$prefix-$size.sst" 2>&1 || echo "VERIFY FAILED"
    echo
  done
  echo '```'
} >> "$body"

elapsed=$((SECONDS - started))
{
  echo "# sst-engine run $stamp"
  echo
  echo "- machine: $machine"
  echo "- swap-sst: $checkout; C++ tool: swap_sst_stream.cpp with $(dpkg-query -W -f='librocksdb-dev ${Version}' librocksdb-dev 2>/dev/null || echo 'librocksdb-dev ?')"
  echo "- timer: $([ -n "${BENCH_AB:-}" ] && echo 'the one BENCH_AB named (same protocol and rows as ab.py)' || echo ab.py); $runs counted runs of each command in turn, after $warmup warm-up run(s) of each; every input in the page cache"
  echo "- run.sh took $((elapsed / 60)) min $((elapsed % 60)) s end to end"
  echo
  python3 "$here/summarize.py" "$body"
  echo
  cat "$body"
} > "$results"
rm -f "$body"
say "results: $results ($((elapsed / 60)) min $((elapsed % 60)) s)"
