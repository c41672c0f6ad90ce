#!/usr/bin/env bash
# The xray benchmark (README.md beside this file says what and why): `inspect --entries --json` over a native
# savepoint with >= 1 million keys against RocksDB's own `sst_dump --command=scan --output_hex` over the same SST
# files: entries per second and peak RSS, on a large savepoint, on one about 4x smaller and on one about 4x larger
# (xl: where inspect's start, a constant, weighs less against its rate per entry).
#
#   bench/xray/run.sh [--runs 5] [--warmup 1] [--rev REV | --worktree] [--no-profile]
#
#   --rev REV     StateLab as committed at REV (default HEAD), run from a `git archive` snapshot in
#                 bench/work/xray/checkout-<sha>/: others edit scripts/ while a benchmark runs.
#   --worktree    StateLab from the working tree as it is (uncommitted changes included).
#   --no-profile  skip the untimed look at where inspect's time goes (ScanHarness layers, async-profiler, strace).
#   BENCH_AB      (environment) the A/B timer: a command taking  -n RUNS --warmup W --timeout S --vs 'B' -- A ...
#                 and printing ab.py's rows; default: python3 bench/sst-engine/ab.py (public: Python's wait4).
#   WORDS_LARGE, WORDS_SMALL, WORDS_XL  (environment) words the word-count jobs draw (default 3000000, 750000 and
#                 20000000: about 2.65 M, 0.73 M and 9.7 M distinct keys of 5 letters).
#
# The savepoints are made once, into bench/work/xray/sp-large, sp-small and sp-xl (git-ignored), by the word-count job on
# a local cluster this script starts on port 18611 (directory /tmp/xb-cluster, STATELAB_HOME /tmp/xb-home) and
# always stops; later runs reuse them. sst_dump (Debian's rocksdb-tools, apt-get installed when missing) reads the
# savepoint's SST files through symlinks in bench/work/xray/sst-<size>/ named OPERATOR-SUBTASK-<RocksDB name>.
# Each comparison runs A and B in turn (A B A B ...) RUNS times after WARMUP uncounted runs of each, as whole
# processes (JVM start included), both printing into `wc -l` (its count kept per run), inputs in the page cache.
# Results: bench/xray/results/<UTC stamp>.md.
set -euo pipefail

here=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$root/bench/work/xray"
runs=5
warmup=1
rev=HEAD
profile=yes
words_large=${WORDS_LARGE:-3000000}
words_small=${WORDS_SMALL:-750000}
words_xl=${WORDS_XL:-20000000}
port=18611
cluster_dir=/tmp/xb-cluster
export STATELAB_HOME=/tmp/xb-home
export STATELAB_REST_URL="http://127.0.0.1:$port"
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --rev) rev=$2; shift 2 ;;
    --worktree) rev=""; shift ;;
    --no-profile) profile=no; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
for tool in java python3 git tar curl; do
  command -v "$tool" >/dev/null || { echo "run.sh: needs $tool" >&2; exit 1; }
done
if ! command -v sst_dump >/dev/null; then
  echo "run.sh: installing Debian's rocksdb-tools for sst_dump" >&2
  apt-get install -y rocksdb-tools >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y rocksdb-tools >/dev/null; }
fi
read -r -a ab <<<"${BENCH_AB:-python3 $here/../sst-engine/ab.py}"

mkdir -p "$work" "$here/results"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
results="$here/results/$stamp.md"
body="$work/$stamp.body.md"
log="$work/$stamp.log"
: > "$body"
say() { echo "run.sh: $*" >&2; }
started=$SECONDS

# ---- which StateLab -------------------------------------------------------------------------------------------
# shellcheck source=../snapshot.sh
. "$here/../snapshot.sh"
# shellcheck source=../abrows.sh
. "$here/../abrows.sh"
snapshot "$root" "$work" "$rev"
cd "$co"
say "StateLab from $checkout"
# the harness (ScanHarness.java, on the product's scan code) as it is beside this script, in the snapshot
[ "$co" = "$root" ] || { mkdir -p "$co/bench/xray" && cp "$here/ScanHarness.java" "$co/bench/xray/"; }
harness=no
./jbang bench/xray/ScanHarness.java --version >>"$log" 2>&1 && harness=yes || say "ScanHarness.java does not build here (see $log): its parts are skipped"

machine="$(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1)), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, kernel $(uname -r), $(java -version 2>&1 | head -n 1), load average $(cut -d' ' -f1-3 /proc/loadavg)"
say "$machine"

# ---- the savepoints, made once ---------------------------------------------------------------------------------
cluster_up=no
stop_cluster() {
  if [ "$cluster_up" = yes ]; then
    cluster_up=no
    ./jbang cluster stop --dir "$cluster_dir" >>"$log" 2>&1 || say "cluster stop failed (see $log)"
  fi
}
trap stop_cluster EXIT
trap 'exit 130' INT TERM

job_field() { # JOBID PYTHON-EXPRESSION over d (the job's REST JSON)
  curl -sf "$STATELAB_REST_URL/jobs/$1" | python3 -c "import json, sys; d = json.load(sys.stdin); print($2)"
}

make_savepoint() { # SIZE WORDS
  local size=$1 words=$2 dest="$work/sp-$1"
  if [ -f "$dest.complete" ] && [ "$(cat "$dest.complete")" = "words $words" ]; then
    return
  fi
  rm -rf "$dest" "$dest.tmp" "$dest.complete"
  if [ "$cluster_up" = no ]; then
    cluster_up=yes # from here on the EXIT trap stops it, whatever happens
    say "starting a local cluster on port $port ($cluster_dir)"
    ./jbang cluster start --port "$port" --dir "$cluster_dir" >>"$log" 2>&1
  fi
  say "$size savepoint: word-count --letters 5 --words $words"
  local job
  job=$(./jbang submit word-count -- --keep-running --letters 5 --words "$words" 2>>"$log")
  local t0=$SECONDS n=0
  while :; do
    n=$(job_field "$job" 'min(v["metrics"]["read-records"] for v in d["vertices"] if v["metrics"]["read-records"] > 0) if any(v["metrics"]["read-records"] > 0 for v in d["vertices"]) else 0' || echo 0)
    [ "$n" -ge "$words" ] && break
    [ $((SECONDS - t0)) -lt 1200 ] || { say "job $job read $n of $words words in 20 min: giving up"; exit 1; }
    sleep 5
  done
  say "job $job: $n words counted after $((SECONDS - t0)) s; taking a savepoint"
  local sp
  sp=$(./jbang savepoint "$job" 2>>"$log")
  curl -sf -X PATCH "$STATELAB_REST_URL/jobs/$job?mode=cancel" >/dev/null
  cp -r "$sp" "$dest.tmp"
  mv "$dest.tmp" "$dest"
  echo "words $words" > "$dest.complete"
  rm -rf "$sp"
  t0=$SECONDS
  until [ "$(job_field "$job" 'd["state"]' || echo ?)" = CANCELED ]; do
    [ $((SECONDS - t0)) -lt 120 ] || { say "job $job not CANCELED after 2 min"; exit 1; }
    sleep 1
  done
  echo "$size savepoint: job $job (word-count --keep-running --letters 5 --words $words), savepoint $sp, copied to $dest" >>"$log"
}
make_savepoint large "$words_large"
make_savepoint small "$words_small"
make_savepoint xl "$words_xl"
stop_cluster

# ---- the SST files under their RocksDB names, for sst_dump -----------------------------------------------------
# untimed: JBang's build of inspect; the launcher's list of the classes it loads, then its class-data archive
./jbang inspect --version >>"$log" 2>&1
./jbang inspect --version >>"$log" 2>&1
for size in large small xl; do
  d="$work/sst-$size"
  rm -rf "$d" && mkdir -p "$d"
  ./jbang inspect --json "$work/sp-$size" | python3 -c '
import json, os, sys
sp, d = sys.argv[1], sys.argv[2]
for f in json.load(sys.stdin)["files"]:
    if f["what"] == "sst":
        # operator and subtask in the name: two subtasks may both have a 000015.sst
        os.symlink(os.path.join(sp, f["file"]), os.path.join(d, "%s-%s-%s" % (f["operator"], f["subtask"], f["rocksdbName"])))
' "$work/sp-$size" "$d"
done
hot() { for f in "$@"; do find "$f" -type f -exec cat {} + > /dev/null; done; }

# ---- checked once, untimed: both tools read the same state -----------------------------------------------------
rocksdbjni=$(./jbang info classpath scripts/Inspect.java 2>>"$log" | tr ':' '\n' | sed -n 's#.*/\(rocksdbjni-[^/]*\)\.jar$#\1#p; s#.*/\(frocksdbjni-[^/]*\)\.jar$#\1#p' | sort -u | paste -sd, -)
{
  echo "## Inputs, checked once (untimed): both tools read the same state"
  echo
  echo '```'
  for size in large small xl; do
    echo "\$ ./jbang inspect sp-$size   (summary)"
    ./jbang inspect "$work/sp-$size" 2>&1
    echo "\$ du -sb sp-$size; ls sst-$size"
    du -sb "$work/sp-$size" | cut -f1
    ls "$work/sst-$size"
    ./jbang inspect --entries --json "$work/sp-$size" > "$work/check.jsonl" 2>>"$log"
    sst_dump --file="$work/sst-$size" --command=scan --output_hex > "$work/check.sst.txt" 2>>"$log"
    echo "\$ check.py <(inspect --entries --json sp-$size) <(sst_dump --file=sst-$size --command=scan --output_hex) $(sed 's/words //' "$work/sp-$size.complete")"
    python3 "$here/check.py" "$work/check.jsonl" "$work/check.sst.txt" "$(sed 's/words //' "$work/sp-$size.complete")" 2>&1 || echo "CHECK FAILED"
    rm -f "$work/check.jsonl" "$work/check.sst.txt"
    echo
  done
  echo '```'
  echo
} >> "$body"

# ---- one comparison ---------------------------------------------------------------------------------------------
# compare ID TITLE TIMEOUT 'B as one string' A ...   Appends a section to the body: each side's entry counts (every
# run appends its `wc -l` to $work/$stamp.ID.A|B.count), then the timer's rows as printed, less its own notes.
compare() {
  local id=$1 title=$2 timeout=$3 b=$4; shift 4
  say "$id: $title"
  local out="$work/$stamp.$id.txt" load_before load_after
  load_before=$(cut -d' ' -f1-3 /proc/loadavg)
  "${ab[@]}" -n "$runs" --warmup "$warmup" --timeout "$timeout" --vs "$b" -- "$@" > "$out" 2>&1 || true
  load_after=$(cut -d' ' -f1-3 /proc/loadavg)
  {
    echo "### $id: $title"
    echo
    echo "load average before: $load_before; after: $load_after"
    for side in A B; do
      local f="$work/$stamp.$id.$side.count" headers=0
      [ -s "$f" ] || continue
      # sst_dump prints a few header lines besides its entries (the same in every run): counted once into
      # $stamp.ID.SIDE.headers and taken off here
      [ -f "$work/$stamp.$id.$side.headers" ] && headers=$(sed -n 's/^headers //p' "$work/$stamp.$id.$side.headers")
      python3 - "$f" "$side" "$headers" <<'PY'
import sys
path, side, headers = sys.argv[1], sys.argv[2], int(sys.argv[3])
counts = sorted({int(l) - headers for l in open(path) if l.strip()})
runs = sum(1 for l in open(path) if l.strip())
if len(counts) == 1:
    print("entries %s %d" % (side, counts[0]))
    print("(%s printed %d entries in each of its %d runs, warm-up included)" % (side, counts[0], runs))
else:
    print("(%s printed DIFFERENT counts in its %d runs: %s)" % (side, runs, counts))
PY
    done
    echo
    echo '```'
    ab_rows <"$out"
    echo '```'
    echo
  } >> "$body"
}

# header lines sst_dump prints around its entries, for a directory (counted once, the same every run)
sst_headers() { sst_dump --file="$1" --command=scan --output_hex "${@:2}" 2>/dev/null | grep -vc "^'" || true; }

inspect_cmd() { # SAVEPOINT COUNTFILE [OPTIONS...]
  local sp=$1 cf=$2; shift 2
  printf '%s' "./jbang inspect --entries --json ${*:+$* }$sp 2>>$log | wc -l >> $cf"
}
dump_cmd() { # SSTDIR COUNTFILE [OPTIONS...]
  local d=$1 cf=$2; shift 2
  printf '%s' "sst_dump --file=$d --command=scan --output_hex ${*:+$* }2>>$log | wc -l >> $cf"
}
W=$work
for size in large small xl; do
  id=$size
  echo "headers $(sst_headers "$W/sst-$size")" > "$W/$stamp.$id.B.headers"
  hot "$W/sp-$size"
  compare "$id" "$size savepoint: inspect --entries --json (A) vs sst_dump --command=scan --output_hex (B), both into wc -l" 1800 \
    "sh -c '$(dump_cmd "$W/sst-$size" "$W/$stamp.$id.B.count")'" \
    sh -c "$(inspect_cmd "$W/sp-$size" "$W/$stamp.$id.A.count")"
done

echo "headers $(sst_headers "$W/sst-large" --read_num=1)" > "$W/$stamp.floor.B.headers"
compare floor "large savepoint, first entry only: inspect --entries --json --limit 1 (A) vs sst_dump ... --read_num=1 (B)" 600 \
  "sh -c '$(dump_cmd "$W/sst-large" "$W/$stamp.floor.B.count" --read_num=1)'" \
  sh -c "$(inspect_cmd "$W/sp-large" "$W/$stamp.floor.A.count" --limit 1)"

echo "headers $(sst_headers "$W/sst-large")" > "$W/$stamp.checksums.B.headers"
echo "headers $(sst_headers "$W/sst-large" --verify_checksum)" > "$W/$stamp.checksums.A.headers"
compare checksums "large savepoint: sst_dump with --verify_checksum (A; inspect verifies every block's) vs without (B)" 600 \
  "sh -c '$(dump_cmd "$W/sst-large" "$W/$stamp.checksums.B.count")'" \
  sh -c "$(dump_cmd "$W/sst-large" "$W/$stamp.checksums.A.count" --verify_checksum)"

# ---- where inspect's time goes (untimed by the timer) -------------------------------------------------------------
if [ "$harness" = yes ] && [ "$profile" = yes ]; then
  say "layers: ScanHarness --out rocksdb, raw, bytes, decode, lines, buffered"
  layers="$work/$stamp.layers.jsonl"
  : > "$layers"
  for i in 0 1 2 3; do # run 0 is a warm-up, not counted
    for mode in rocksdb raw bytes decode lines buffered; do
      ./jbang bench/xray/ScanHarness.java --out "$mode" "$W/sp-large" 2>"$work/layer.err" | wc -l > /dev/null
      [ "$i" = 0 ] || grep '^{' "$work/layer.err" >> "$layers" || cat "$work/layer.err" >> "$log"
    done
  done
  rm -f "$work/layer.err"
  {
    echo "## What each layer of inspect costs (ScanHarness.java on the product's scan code, large savepoint)"
    echo
    echo "In-process milliseconds the harness reports (load: _metadata and serializer snapshots; scan: RocksDB open,"
    echo "iteration and what --out does per entry), median of 3 runs after a warm-up, stdout into wc -l. The last"
    echo "column is what a line adds to the one it builds on (bytes and decode on raw, lines and buffered on decode);"
    echo "rocksdb is raw's alternative:"
    echo
    python3 - "$layers" <<'PY'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows.setdefault(r["out"], []).append(r)
what = {"rocksdb": "RocksDB's iterator through JNI, key and value bytes only: how inspect read before db5d917",
        "raw": "the block engine's merged scan, key and value bytes only: how inspect reads since db5d917",
        "bytes": "+ JSON lines as inspect writes them since 279ee7c (EntryJson from each entry's bytes, its state's layout simple)",
        "decode": "raw + decode (Flink serializers, hex strings, Entry records)",
        "lines": "+ JSON lines from the decoded entries (EntryJson), as inspect wrote them from 0616cd0 to 279ee7c",
        "buffered": "+ Jackson per entry (Output.toJson) through a 64 KiB buffer: inspect from 4cb4df2 to 8ba13d7",
        "autoflush": "+ a flush per line (picocli's PrintWriter): what inspect did before 4cb4df2"}
base = {"bytes": "raw", "decode": "raw", "lines": "decode", "buffered": "decode", "autoflush": "buffered"}
print("| --out | what | entries | load ms | scan ms | scan entries/s | scan ms over the line it builds on |")
print("|---|---|---:|---:|---:|---:|---:|")
scans = {}
for mode in ("rocksdb", "raw", "bytes", "decode", "lines", "buffered", "autoflush"):
    rs = rows.get(mode)
    if not rs:
        continue
    load = statistics.median(r["loadMillis"] for r in rs)
    scan = scans[mode] = statistics.median(r["scanMillis"] for r in rs)
    n = rs[0]["entries"]
    on = base.get(mode)
    print("| %s | %s | {:,} | %.0f | %.0f | {:,.0f} | %s |".format(n, 1000.0 * n / scan) % (
        mode, what[mode], load, scan, "+%.0f (on %s)" % (scan - scans[on], on) if on in scans else "–"))
print()
print("(runs: %s)" % "; ".join("%s %s" % (m, ",".join(str(r["scanMillis"]) for r in rows[m])) for m in rows))
PY
    echo
  } >> "$body"
fi

if [ "$profile" = yes ]; then
  say "profile: where inspect's time goes"
  {
    echo "## Where inspect's time goes: a CPU profile and its write(2) calls (one run each, untimed)"
    echo
    ap_jar=$(ls "$HOME"/.m2/repository/tools/profiler/async-profiler/2.9/async-profiler-2.9.jar 2>/dev/null || true)
    if [ -n "$ap_jar" ] && command -v unzip >/dev/null; then
      apd="$work/ap" && mkdir -p "$apd"
      unzip -o -q -j "$ap_jar" linux-x64/libasyncProfiler.so -d "$apd"
      rm -f "$apd/inspect-large.collapsed"
      JAVA_TOOL_OPTIONS="-agentpath:$apd/libasyncProfiler.so=start,event=cpu,interval=5ms,collapsed,file=$apd/inspect-large.collapsed" \
        sh -c "./jbang inspect --entries --json $W/sp-large 2>>$log | wc -l > /dev/null"
      echo "CPU profile of \`inspect --entries --json sp-large | wc -l\` (async-profiler 2.9, event=cpu, 5 ms, all threads;"
      echo "each stack in the first group one of its frames matches, profile.py):"
      echo
      echo '```'
      python3 "$here/profile.py" "$apd/inspect-large.collapsed" 5 2>&1 || echo "(no profile)"
      echo '```'
      echo
    else
      echo "(No CPU profile: async-profiler 2.9 is not in ~/.m2, or unzip is missing; mvn dependency:get"
      echo "-Dartifact=tools.profiler:async-profiler:2.9 fetches it.)"
      echo
    fi
    if command -v strace >/dev/null; then
      echo "write(2) calls (strace -f -c -e trace=write; inspect with --limit 300000, sst_dump over all entries),"
      echo "both into wc -l:"
      echo
      echo '```'
      strace -f -c -e trace=write -o "$work/strace-inspect.txt" sh -c "./jbang inspect --entries --json --limit 300000 $W/sp-large 2>>$log | wc -l > /dev/null"
      echo "inspect --limit 300000: $(awk '$NF == "write" {print $4 " write calls, " $2 " s in them (strace-inflated)"}' "$work/strace-inspect.txt")"
      strace -f -c -e trace=write -o "$work/strace-dump.txt" sh -c "sst_dump --file=$W/sst-large --command=scan --output_hex 2>>$log | wc -l > /dev/null"
      echo "sst_dump, $(grep -c "^'" <(sst_dump --file="$W/sst-large" --command=scan --output_hex 2>/dev/null)) entries: $(awk '$NF == "write" {print $4 " write calls, " $2 " s in them (strace-inflated)"}' "$work/strace-dump.txt")"
      echo '```'
      echo
    fi
  } >> "$body"
fi

elapsed=$((SECONDS - started))
{
  echo "# xray run $stamp"
  echo
  echo "- machine: $machine"
  echo "- StateLab: $checkout; inspect reads with $rocksdbjni"
  echo "- sst_dump: $(dpkg-query -W -f='Debian rocksdb-tools ${Version}' rocksdb-tools 2>/dev/null || echo '? (not a Debian package here)')"
  echo "- savepoints: word-count --keep-running --letters 5, --words $words_large (large), $words_small (small) and $words_xl (xl), parallelism 1 (the cluster's default), made $(for s in large small xl; do date -u -r "$work/sp-$s/_metadata" +%Y-%m-%dT%H:%MZ; done | paste -sd' ' -)"
  echo "- timer: $([ -n "${BENCH_AB:-}" ] && echo 'the one BENCH_AB named (same protocol and rows as ab.py)' || echo ab.py); $runs counted runs of each command in turn, after $warmup warm-up run(s) of each; inputs in the page cache; both tools' output piped into wc -l"
  echo "- run.sh took $((elapsed / 60)) min $((elapsed % 60)) s end to end"
  echo
  python3 "$here/summarize.py" "$body"
  echo
  cat "$body"
} > "$results"
rm -f "$body"
say "results: $results ($((elapsed / 60)) min $((elapsed % 60)) s)"
