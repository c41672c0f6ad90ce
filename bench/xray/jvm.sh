#!/usr/bin/env bash
# Would a JVM that starts more cheaply close issue 8's gap? `inspect --entries --json`'s own command line (the one
# ./jbang keeps and executes) run by JDK 17 with the launcher's class-data archive, as StateLab runs it, against the
# same command line run by a JDK 25 with an AOT cache (JEP 483/514/515: classes loaded and linked ahead of time,
# method profiles kept), trained once on the small savepoint. Both print into `wc -l`; sst_dump as in run.sh.
#
#   bench/xray/jvm.sh [--runs 11] [--warmup 1] [--jdk DIR] [--rev REV | --worktree]
#
#   --jdk DIR     a JDK 25 or later (default: the first /usr/lib/jvm/*25* that has bin/java)
#   --rev REV     StateLab as committed at REV (default HEAD), from the same snapshots run.sh uses
#   --worktree    StateLab from the working tree as it is
#   BENCH_AB      (environment) the A/B timer, as in run.sh; default: python3 bench/sst-engine/ab.py
#
# Needs run.sh's savepoints and SST links (bench/work/xray/sp-large, sp-small, sst-large): run bench/xray/run.sh once
# first. Compares, each A and B in turn after the warm-ups: the large savepoint, JDK 25 (A) against JDK 17 (B); the
# large savepoint, JDK 25 (A) and then JDK 17 (A) against sst_dump (B); the first entry only (`--limit 1`), JDK 25 (A)
# against JDK 17 (B).
# Results: bench/xray/results/<UTC stamp>-jvm.md.
set -euo pipefail

here=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$root/bench/work/xray"
runs=11
warmup=1
rev=HEAD
jdk=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --jdk) jdk=$2; shift 2 ;;
    --rev) rev=$2; shift 2 ;;
    --worktree) rev=""; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "jvm.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
say() { echo "jvm.sh: $*" >&2; }
for f in sp-large sp-small sst-large; do
  [ -e "$work/$f" ] || { say "no $work/$f: run bench/xray/run.sh once first (it makes the savepoints)"; exit 1; }
done
if [ -z "$jdk" ]; then
  for d in /usr/lib/jvm/*25*; do [ -x "$d/bin/java" ] && { jdk=$d; break; }; done
fi
[ -n "$jdk" ] && [ -x "$jdk/bin/java" ] || { say "no JDK 25 found (give one with --jdk DIR)"; exit 1; }
command -v sst_dump >/dev/null || { say "needs sst_dump (Debian's rocksdb-tools; run.sh installs it)"; exit 1; }
read -r -a ab <<<"${BENCH_AB:-python3 $here/../sst-engine/ab.py}"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
results="$here/results/$stamp-jvm.md"
log="$work/$stamp-jvm.log"
mkdir -p "$here/results"

# shellcheck source=../snapshot.sh
. "$here/../snapshot.sh"
# shellcheck source=../abrows.sh
. "$here/../abrows.sh"
snapshot "$root" "$work" "$rev"
cd "$co"
say "StateLab from $checkout"
# JBang's build, the kept command line, then (second run) its class-data archive
./jbang inspect --version >>"$log" 2>&1
./jbang inspect --version >>"$log" 2>&1
kept="$co/bootstrap/.exec/inspect"
[ -s "$kept.jsa" ] || { say "./jbang wrote no class-data archive for inspect (see $log)"; exit 1; }
line=$(sed -n 2p "$kept")
# the line without its archive options: java, then its options, -classpath ..., the main class
bare=$(printf '%s\n' "$line" | sed -e 's/ -XX:SharedArchiveFile=[^ ]*//' -e 's/ -XX:ArchiveClassesAtExit=[^ ]*//' -e 's/ -XX:DumpLoadedClassList=[^ ]*//')
aot="$work/inspect-$stamp.aot"
# Each side as a script of its own (what ./jbang would exec, less the launcher's shell): its arguments appended.
# rocksdbjni on JDK 25 loads its library through a restricted method: allowed, or it warns on stderr.
j17="$work/$stamp-jdk17.sh"
j25="$work/$stamp-jdk25.sh"
trap 'rm -f "$j17" "$j25" "$aot" "$aot.config" "$results.body"' EXIT
printf 'export ROCKSDB_MUSL_LIBC=false\nexec %s "$@"\n' "${bare%% *} -XX:SharedArchiveFile=$kept.jsa ${bare#* }" >"$j17"
printf 'export ROCKSDB_MUSL_LIBC=false\nexec %s "$@"\n' "$jdk/bin/java --enable-native-access=ALL-UNNAMED \$AOT ${bare#* }" >"$j25"

say "training JDK 25's AOT cache on the small savepoint"
AOT="-XX:AOTCacheOutput=$aot" bash "$j25" --entries --json "$work/sp-small" >/dev/null 2>>"$log"
[ -s "$aot" ] || { say "$jdk wrote no AOT cache (see $log)"; exit 1; }
sed -i "s|\\\$AOT|-XX:AOTCache=$aot|" "$j25"
sum17=$(bash "$j17" --entries --json "$work/sp-large" 2>>"$log" | md5sum)
sum25=$(bash "$j25" --entries --json "$work/sp-large" 2>>"$log" | md5sum)
err25=$(bash "$j25" --entries --json --limit 1 "$work/sp-large" 2>&1 >/dev/null | head -n 3)
[ "$sum17" = "$sum25" ] || { say "JDK 25 printed other entries than JDK 17 (md5 ${sum25%% *} against ${sum17%% *})"; exit 1; }

compare() { # TITLE B A...
  local title=$1 b=$2; shift 2
  say "$title"
  {
    echo "### $title"
    echo
    echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo '```'
    "${ab[@]}" -n "$runs" --warmup "$warmup" --timeout 900 --vs "$b" -- "$@" 2>&1 \
      | ab_rows
    echo '```'
    echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
  } >>"$results.body"
}
: >"$results.body"
W=$work
compare "large savepoint: JDK 25 with its AOT cache (A) vs JDK 17 with the launcher's archive (B), into wc -l" \
  "sh -c 'bash $j17 --entries --json $W/sp-large 2>>$log | wc -l >/dev/null'" \
  sh -c "bash $j25 --entries --json $W/sp-large 2>>$log | wc -l >/dev/null"
compare "large savepoint: JDK 25 with its AOT cache (A) vs sst_dump --command=scan --output_hex (B), into wc -l" \
  "sh -c 'sst_dump --file=$W/sst-large --command=scan --output_hex 2>>$log | wc -l >/dev/null'" \
  sh -c "bash $j25 --entries --json $W/sp-large 2>>$log | wc -l >/dev/null"
compare "large savepoint: JDK 17 with the launcher's archive (A) vs sst_dump --command=scan --output_hex (B), into wc -l" \
  "sh -c 'sst_dump --file=$W/sst-large --command=scan --output_hex 2>>$log | wc -l >/dev/null'" \
  sh -c "bash $j17 --entries --json $W/sp-large 2>>$log | wc -l >/dev/null"
compare "large savepoint, first entry only (--limit 1): JDK 25 with its AOT cache (A) vs JDK 17 (B)" \
  "sh -c 'bash $j17 --entries --json --limit 1 $W/sp-large 2>>$log | wc -l >/dev/null'" \
  sh -c "bash $j25 --entries --json --limit 1 $W/sp-large 2>>$log | wc -l >/dev/null"

{
  echo "# xray on another JVM: $stamp"
  echo
  echo "StateLab: $checkout. Machine: $(nproc) cores, load average at the start $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "JDK 17: $("${bare%% *}" -version 2>&1 | head -n 1) (\`${bare%% *}\`), with ./jbang's class-data archive of inspect."
  echo "JDK 25: $("$jdk/bin/java" -version 2>&1 | head -n 1) (\`$jdk\`), with an AOT cache trained on"
  echo "\`inspect --entries --json\` of the small savepoint ($(du -h "$aot" | cut -f1))."
  echo "Both print the same entries of the large savepoint (md5 ${sum17%% *}). JDK 25's stderr on \`--limit 1\`: ${err25:-nothing}."
  echo "Each side: the command line ./jbang keeps for \`inspect\`, run directly (no launcher shell), $runs counted runs after"
  echo "$warmup warm-up, A and B in turn (bench/sst-engine/ab.py)."
  echo
  cat "$results.body"
  echo "Reproduce: \`bench/xray/jvm.sh --runs $runs${rev:+ --rev $rev}\` (after bench/xray/run.sh has made the savepoints)."
} >"$results"
say "results: $results"
