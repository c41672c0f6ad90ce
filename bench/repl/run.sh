#!/usr/bin/env bash
# The REPL benchmark: what StateLab's REPL (`./jbang repl`, one JVM for many commands) costs against the same
# work done by one process per command (`./jbang savepoint`, Flink's CLI), in three parts run in one go:
#
#   savepoint  one running word-count job (`submit word-count -- --keep-running`), native savepoints taken by:
#                repl-N   one `./jbang repl` reading SP_LINES lines `savepoint --progress <id>` from stdin
#                repl-1   the same with one line (the REPL's fixed start-up: see README.md)
#                script   `./jbang savepoint --progress <id>`
#                java     the command line the launcher of `./jbang savepoint --progress <id>` execs (no launcher)
#                cli      Flink's CLI: CliFrontend savepoint <id> file://<cluster>/savepoints -type native
#              Every line of output is time-stamped as it arrives (bash's $EPOCHREALTIME), and the savepoints'
#              own durations are read from Flink (REST /jobs/<id>/checkpoints, end_to_end_duration).
#              Then, untimed by the alternation: the REPL's per-line cost without REST (repl-dispatch), the REST
#              client and round trips inside one warm JVM (RestProbe.java), and curl's round trip.
#   cycle      the whole cycle, alternated: `./jbang repl -f cycle.statelab` (set rest, submit word-count --
#              --keep-running, savepoint, swap-sst, resume), `./jbang experiment --progress`, and bench/cycle's
#              polling CLI cycle (its variant d, "cli-poll"), run by calling bench/cycle/run.sh for one cycle.
#   help       warm `./jbang statelab --help` and `./jbang savepoint --help`, split into the JBang launcher alone
#              and the command JVM it execs, against `java -cp <jar classpath> statelab.StateLab --help` and a
#              bare `java -version`; the REPL started on an empty stdin (its fixed cost); plus a one-off
#              (untimed) count of the classes each JVM loads and from where.
#
# Variants within a repetition run in an order that rotates each repetition. Cleanup between runs is not timed.
# StateLab (and bench/cycle) run from a clone of the committed checkout at REV (default HEAD), not from the
# working tree: people edit scripts/ while a run goes on, and jbang would recompile inside timed runs. A run whose
# output shows "[jbang] Building jar" is marked rebuilt and left out of the summary.
#
# The cluster: if nothing answers on PORT, run.sh starts one from the clone (`./jbang cluster start --port PORT
# --dir CLUSTER_DIR`) and stops it when it ends, also on failure or Ctrl-C. A cluster already answering is used
# and left running.
#
# Usage: bench/repl/run.sh                      # the whole run, ~12 min on 2 shared cores
#        PARTS=help HELP_REPS=5 bench/repl/run.sh
# Environment: REPS (7 timed repetitions of savepoint and cycle), WARMUP (1), SP_LINES (10), HELP_REPS (7),
#   PARTS ("savepoint cycle help"), REV (HEAD), PORT (18481), CLUSTER_DIR (/tmp/bench-repl-cluster),
#   STATELAB_HOME (/tmp/bench-repl-home), OUT (bench/repl/results/<UTC time>), WORK (/tmp/bench-repl-work/<UTC time>).
# Writes to OUT: env.txt, savepoint-runs.tsv, savepoint-lines.tsv, checkpoints.tsv, repl-dispatch.tsv,
#   rest-probe.tsv, rest-rtt.tsv, cycle-runs.tsv, cycle-steps.tsv, help.tsv, classes.tsv, and summary.md
#   (summarize.sh). Every process's output, time-stamped, goes to WORK.
# Exit code: 0 when every timed cycle ended in RESTORE_FAILED and no timed run rebuilt a script, 1 otherwise,
# 2 when the benchmark could not run.
set -u -o pipefail

here=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
stamp=$(date -u +%Y%m%dT%H%M%SZ)

REPS=${REPS:-7}
WARMUP=${WARMUP:-1}
SP_LINES=${SP_LINES:-10}
HELP_REPS=${HELP_REPS:-7}
PARTS=${PARTS:-"savepoint cycle help"}
REV=${REV:-HEAD}
PORT=${PORT:-18481}
CLUSTER_DIR=${CLUSTER_DIR:-/tmp/bench-repl-cluster}
export STATELAB_HOME=${STATELAB_HOME:-/tmp/bench-repl-home}
OUT=${OUT:-$here/results/$stamp}
WORK=${WORK:-/tmp/bench-repl-work/$stamp}
REST=http://127.0.0.1:$PORT
export STATELAB_REST_URL=$REST
export FLINK_CONF_DIR=$CLUSTER_DIR/.statelab/conf
DEADLINE=60
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

say() { printf '%s run.sh: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 2; }
now_us() { now=${EPOCHREALTIME/./}; }  # sets $now (µs); no subshell, no fork
load1() { cut -d' ' -f1 /proc/loadavg; }

# Time-stamps every line read: "<µs since the epoch>\t<line>".
ts_lines() { local l; while IFS= read -r l || [ -n "$l" ]; do printf '%s\t%s\n' "${EPOCHREALTIME/./}" "$l"; done; }

# Sets children_cpu to the user + sys time (ms) of every finished child of this shell (bash's `times`, which must run
# in this shell: in a $(...) subshell it would see that subshell's children only).
read_children_cpu() {
  times >"$WORK/.times"
  children_cpu=$(tail -n 1 "$WORK/.times" \
    | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); n += p[1] * 60000 + p[2] * 1000 } printf "%d", n }')
}

mkdir -p "$OUT" "$WORK" || die "cannot create $OUT or $WORK"
say "results in $OUT, logs in $WORK"

# -----------------------------------------------------------------------------------------------------------------
# Preparation (not timed): a clone of REV, every script built, the launcher's class-data archive made for the clone,
# the cluster.
# -----------------------------------------------------------------------------------------------------------------
SHA=$(git -C "$root" rev-parse --verify "$REV^{commit}") || die "unknown REV '$REV'"
tree=$WORK/tree
say "clone of $REV (${SHA:0:7}) in $tree"
git clone -q --no-checkout "$root" "$tree" && git -C "$tree" -c advice.detachedHead=false checkout -q "$SHA" \
  || die "cannot clone $root at $SHA"
[ -d "$root/bootstrap/lib" ] || die "no $root/bootstrap/lib: run ./jbang --version once in $root"
# JBang's jars, but not the launcher's class-data archive: it records the class path it was made with, and the
# JVM drops an archive made for another directory ("shared class paths mismatch"). The first launch in the clone
# writes one for the clone (the ./jbang script does so itself).
mkdir -p "$tree/bootstrap/lib"
find "$root/bootstrap/lib" -maxdepth 1 -type f ! -name '*.jsa' ! -name '.jbang.jsa.*' -exec cp -p {} "$tree/bootstrap/lib/" \;
# bench/cycle/run.sh (called for the cli-poll cycles) snapshots its own checkout and copies bootstrap/lib/ into it,
# archive included, which its snapshot's JVM would then reject: it runs from a second clone whose bootstrap/lib/ has
# no archive, so that its snapshot writes a matching one in the warm-up round.
tree_cycle=$WORK/tree-cycle
git clone -q --no-checkout "$root" "$tree_cycle" && git -C "$tree_cycle" -c advice.detachedHead=false checkout -q "$SHA" \
  && mkdir -p "$tree_cycle/bootstrap/lib" && cp -p "$tree/bootstrap/lib/"* "$tree/bootstrap/lib/.pom.sha256" "$tree_cycle/bootstrap/lib/" \
  || die "cannot clone $root at $SHA for bench/cycle"
cd "$tree" || die "cannot cd to $tree"

# Whether the launcher's class-data archive in bootstrap/lib of the tree $1 is used by its JVM.
launcher_archive() {
  local lib=$1/bootstrap/lib
  if [ ! -f "$lib/jbang.jsa" ]; then
    echo "none"
  elif "$JAVA" -Xlog:cds=info -XX:SharedArchiveFile="$lib/jbang.jsa" -classpath "$lib/*" dev.jbang.Main --version 2>&1 | grep -q 'mismatch'; then
    echo "NOT used (class path mismatch)"
  else
    echo "used"
  fi
}

pids_to_kill=()
cluster_started=no
cleanup() {
  local p
  for p in "${pids_to_kill[@]}"; do kill "$p" 2>/dev/null; done
  if [ "$cluster_started" = yes ]; then
    say "stopping the cluster this run started"
    (cd "$tree" && ./jbang cluster stop --dir "$CLUSTER_DIR") >"$WORK/cluster-stop.log" 2>&1 \
      || say "cluster stop failed: see $WORK/cluster-stop.log"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "building the scripts (not timed)"
for s in scripts/StateLab.java scripts/Repl.java scripts/Submit.java scripts/Savepoint.java scripts/SwapSst.java \
    scripts/Resume.java scripts/Experiment.java scripts/Cluster.java jobs/WordCount.java bench/cycle/FlinkCli.java \
    "$here/RestProbe.java"; do
  ./jbang build "$s" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "jbang build $s failed"; }
done
./jbang statelab --version >/dev/null 2>&1 || die "./jbang statelab --version failed"  # writes the launcher's archive
./jbang statelab --version >/dev/null 2>&1
[ -f bootstrap/lib/jbang.jsa ] || die "the launcher wrote no class-data archive (bootstrap/lib/jbang.jsa)"
launcher_cds=$(launcher_archive "$tree")

needs_cluster=no
case " $PARTS " in *" savepoint "* | *" cycle "*) needs_cluster=yes ;; esac
if curl -sf "$REST/overview" >/dev/null; then
  say "a cluster answers at $REST: using it, and leaving it running"
elif [ "$needs_cluster" = no ]; then
  say "no cluster needed for parts '$PARTS'"
else
  say "starting a cluster: ./jbang cluster start --port $PORT --dir $CLUSTER_DIR"
  cluster_started=yes
  ./jbang cluster start --port "$PORT" --dir "$CLUSTER_DIR" >"$WORK/cluster-start.log" 2>&1 \
    || { cat "$WORK/cluster-start.log" >&2; die "cluster start failed"; }
fi
[ "$needs_cluster" = no ] || [ -f "$FLINK_CONF_DIR/config.yaml" ] || die "no $FLINK_CONF_DIR/config.yaml (is $CLUSTER_DIR the cluster's --dir?)"

# Flink's CLI as bin/flink runs it (see bench/cycle/README.md): the client part of a distribution's lib/, the
# cluster's config, env.java.opts.all.
CLI_CP=$(./jbang info classpath bench/cycle/FlinkCli.java) || die "jbang info classpath FlinkCli.java failed"
CLI_OPTS=$(sed -n 's/^ *all: //p' "$FLINK_CONF_DIR/config.yaml" 2>/dev/null | head -n 1)
flink() {
  # shellcheck disable=SC2086 # CLI_OPTS is a list of JVM options
  "$JAVA" $CLI_OPTS -Dlog.file="$WORK/flink-cli.log" -Dlog4j.configurationFile="file:$tree/bench/cycle/log4j-cli.properties" \
    -classpath "$CLI_CP" org.apache.flink.client.cli.CliFrontend "$@"
}

# The launcher's own command line for `./jbang ARGS` (its JVM, which prints the command to exec), from bash's trace
# of the ./jbang script, with its kept command lines off so that JBang is asked with every argument (run as users run
# it, ./jbang starts no launcher JVM while nothing changed): sets the array launcher_cmd. Its environment is what
# ./jbang exports before running it.
export JBANG_RUNTIME_SHELL=bash JBANG_STDIN_NOTTY=true JBANG_LAUNCH_CMD="$tree/jbang"
launcher_of() {
  local line
  line=$(STATELAB_LAUNCHER_CACHE=off PS4='+ ' bash -x ./jbang "$@" 2>&1 >/dev/null </dev/null | grep -m 1 '^++ .*dev\.jbang\.Main ')
  [ -n "$line" ] || die "no launcher command in the trace of ./jbang $*"
  eval "launcher_cmd=( ${line#++ } )"
}
# The command line the launcher execs for `./jbang ARGS`: sets the array exec_cmd. While a command has no class-data
# archive yet, JBang's line writes one at the JVM's exit (-XX:ArchiveClassesAtExit), and every run of that line would
# write it again (seconds at exit): then one run through ./jbang, not timed, writes it first, and the line is taken again.
exec_of() {
  local out rc
  launcher_of "$@"
  out=$("${launcher_cmd[@]}" </dev/null 2>/dev/null); rc=$?
  [ "$rc" -eq 255 ] || die "the launcher of ./jbang $* exited $rc, not 255 (exec)"
  case $out in
    *-XX:ArchiveClassesAtExit=*)
      ./jbang "$@" </dev/null >"$WORK/archive-first-run.log" 2>&1
      out=$("${launcher_cmd[@]}" </dev/null 2>/dev/null)
      case $out in *-XX:ArchiveClassesAtExit=*) die "./jbang $* wrote no class-data archive (see $WORK/archive-first-run.log)" ;; esac
      ;;
  esac
  eval "exec_cmd=( $out )"
}

{
  echo "date_utc: $stamp"
  echo "host: $(uname -srm)"
  echo "nproc: $(nproc)"
  echo "mem: $(free -g | awk '/^Mem:/ {print $2 " GiB total, " $7 " GiB available"}')"
  echo "loadavg_at_start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "java: $("$JAVA" -version 2>&1 | head -n 1)"
  echo "statelab: ${SHA:0:7} ($REV), run from a clone in $tree"
  echo "jbang launcher class-data archive in the clone: $launcher_cds"
  if curl -sf "$REST/overview" >/dev/null; then
    echo "rest: $REST (cluster $([ "$cluster_started" = yes ] && echo "started by this run" || echo "already running"))"
    echo "flink: $(curl -s "$REST/overview" | jq -r '."flink-version"')"
    echo "slots: $(curl -s "$REST/overview" | jq -r '."slots-total"')"
  else
    echo "rest: no cluster (none needed for these parts)"
  fi
  echo "reps: $REPS warmup: $WARMUP sp_lines: $SP_LINES help_reps: $HELP_REPS parts: $PARTS"
} >"$OUT/env.txt"

# Between runs (not timed): no job of an earlier run may still hold slots.
live_jobs() { curl -sf "$REST/jobs" | jq -r '.jobs[] | select(.status | IN("FINISHED", "CANCELED", "FAILED") | not) | .id'; }
settle() {
  local deadline=$((SECONDS + DEADLINE)) j o
  for j in $(live_jobs); do curl -sf -X PATCH "$REST/jobs/$j?mode=cancel" >/dev/null; done
  while :; do
    o=$(curl -sf "$REST/overview")
    if [ -z "$(live_jobs)" ] && [ "$(jq '."slots-available" == ."slots-total"' <<<"$o")" = true ]; then
      sleep 1
      return 0
    fi
    [ "$SECONDS" -gt "$deadline" ] && die "slots still taken after ${DEADLINE}s: $o"
    sleep 0.2
  done
}

# Runs one timed command: "$@" with its stdout and stderr time-stamped into $log.ts. Sets wall_us, cpu_ms, rc, t0,
# rebuilt, load.
timed() {
  local cpu0
  load=$(load1)
  read_children_cpu; cpu0=$children_cpu
  now_us; t0=$now
  { "$@" 2>&1; } </dev/null | ts_lines >"$log.ts"
  rc=${PIPESTATUS[0]}
  now_us; wall_us=$((now - t0))
  read_children_cpu; cpu_ms=$((children_cpu - cpu0))
  rebuilt=no
  grep -q 'Building jar\|Resolving dependencies' "$log.ts" && rebuilt=yes
  return 0
}
timed_stdin() {  # as timed, with stdin from the file $1
  local cpu0 in=$1
  shift
  load=$(load1)
  read_children_cpu; cpu0=$children_cpu
  now_us; t0=$now
  { "$@" 2>&1; } <"$in" | ts_lines >"$log.ts"
  rc=${PIPESTATUS[0]}
  now_us; wall_us=$((now - t0))
  read_children_cpu; cpu_ms=$((children_cpu - cpu0))
  rebuilt=no
  grep -q 'Building jar\|Resolving dependencies' "$log.ts" && rebuilt=yes
  return 0
}

rotate() {  # index, variants...: the variants in the order of the index-th round (0, 1, ...)
  local rep=$1 n i
  shift
  n=$#
  local vs=("$@")
  for ((i = 0; i < n; i++)); do echo "${vs[$(((rep + i) % n))]}"; done
}

bad=0

# -----------------------------------------------------------------------------------------------------------------
# Part 1: savepoints of one running job.
# -----------------------------------------------------------------------------------------------------------------
sp_lines_of() {  # rep variant: one row per savepoint in savepoint-lines.tsv, from the time-stamped output $log.ts
  awk -F'\t' -v rep="$1" -v v="$2" -v t0="$t0" -v wall="$wall_us" '
    function ms(us) { return sprintf("%.1f", us / 1000) }
    $2 ~ /^savepoint: .* triggered/ { trig = $1; next }
    $2 ~ /^savepoint: savepoint completed in/ { comp = $1; next }
    $2 ~ /^\// || $2 ~ /Path: file:/ {
      k++
      path = $2; sub(/.*Path: file:/, "", path); sub(/[ \t].*/, "", path); n = split(path, parts, "/"); base = parts[n]
      start = k == 1 ? t0 : prev
      client = (v == "repl-N" || v == "repl-1") ? $1 - start : wall
      printf "%s\t%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", rep, v, k, base, ms(client), trig ? ms(trig - start) : "", \
        (trig && comp) ? ms(comp - trig) : "", comp ? ms($1 - comp) : "", start, trig ? trig : "", comp ? comp : "", $1
      prev = $1; trig = 0; comp = 0
    }
  ' "$log.ts" >>"$OUT/savepoint-lines.tsv"
  sp_count=$(awk -F'\t' -v rep="$1" -v v="$2" '$1 == rep && $2 == v' "$OUT/savepoint-lines.tsv" | wc -l)
  now_last=$(awk -F'\t' '$2 ~ /^\// {t = $1} END {print t}' "$log.ts")
}

part_savepoint() {
  local rep pos v job sp_java poller
  say "part 1: savepoints of one running word-count job"
  settle
  job=$(./jbang submit word-count -- --keep-running 2>"$WORK/sp-submit.err") || { cat "$WORK/sp-submit.err" >&2; die "submit failed"; }
  say "job $job is running"
  : >"$WORK/sp-1.statelab"; : >"$WORK/sp-N.statelab"
  echo "savepoint --progress $job" >"$WORK/sp-1.statelab"
  for ((i = 1; i <= SP_LINES; i++)); do echo "savepoint --progress $job" >>"$WORK/sp-N.statelab"; done
  exec_of savepoint --progress "$job"; sp_java=("${exec_cmd[@]}")
  echo "exec'd for savepoint --progress <job> (variant java): ${sp_java[*]}" | sed 's/-classpath [^ ]* /-classpath <jar classpath> /' \
    >>"$OUT/commands.txt"

  # Flink's own duration of every savepoint: the REST API's checkpoint history keeps the last 10 checkpoints and
  # savepoints, and the job checkpoints every second, so it is read every 0.5 s (its cache's refresh) while the
  # part runs, and de-duplicated at the end.
  ( while :; do
      curl -sf "$REST/jobs/$job/checkpoints" | jq -r '.history[] | select(.is_savepoint and .status == "COMPLETED")
        | [.id, (.external_path | split("/") | last), .end_to_end_duration, .trigger_timestamp, .latest_ack_timestamp] | @tsv'
      sleep 0.5
    done >"$WORK/checkpoints.raw" 2>/dev/null ) &
  poller=$!
  pids_to_kill+=("$poller")

  printf 'rep\tpos\tvariant\twall_ms\tcpu_ms\tload1\texit\tsavepoints\trebuilt\ttail_ms\n' >"$OUT/savepoint-runs.tsv"
  printf 'rep\tvariant\tk\tsavepoint\tclient_ms\tpre_ms\twait_ms\tpost_ms\tstart_us\ttriggered_us\tcompleted_us\tresult_us\n' \
    >"$OUT/savepoint-lines.tsv"
  local variants=(repl-N repl-1 script java cli) reps=() r
  for ((r = 1; r <= WARMUP; r++)); do reps+=("w$r"); done
  for ((r = 1; r <= REPS; r++)); do reps+=("$r"); done
  local round=0
  for rep in "${reps[@]}"; do
    pos=0
    round=$((round + 1))
    for v in $(rotate "$round" "${variants[@]}"); do
      pos=$((pos + 1))
      log="$WORK/sp-$rep-$v"
      case $v in
        repl-N) timed_stdin "$WORK/sp-N.statelab" ./jbang repl ;;
        repl-1) timed_stdin "$WORK/sp-1.statelab" ./jbang repl ;;
        script) timed ./jbang savepoint --progress "$job" ;;
        java) timed "${sp_java[@]}" ;;
        cli) timed flink savepoint "$job" "file://$CLUSTER_DIR/savepoints" -type native ;;
      esac
      sp_lines_of "$rep" "$v"
      local tail_ms=""
      [ -n "$now_last" ] && tail_ms=$(((t0 + wall_us - now_last) / 1000))
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$pos" "$v" "$((wall_us / 1000))" "$cpu_ms" "$load" "$rc" "$sp_count" \
        "$rebuilt" "$tail_ms" >>"$OUT/savepoint-runs.tsv"
      say "  rep $rep $v: $((wall_us / 1000)) ms, $sp_count savepoint(s), exit $rc, load $load$([ "$rebuilt" = yes ] && echo ', REBUILT')"
      case $rep in w*) ;; *) { [ "$rc" -eq 0 ] && [ "$rebuilt" = no ]; } || bad=$((bad + 1)) ;; esac
      sleep 0.3
    done
  done

  # The REPL's own cost per line, without REST: lines that fail in the command itself ('not-a-job-id' is not a job
  # id), so each is the command's construction (picocli), parsing, call and error message. Three REPLs of 20 lines.
  say "  repl-dispatch: 3 × 20 lines that fail before any REST call"
  printf 'run\tk\tms\n' >"$OUT/repl-dispatch.tsv"
  for ((i = 1; i <= 20; i++)); do echo "savepoint not-a-job-id"; done >"$WORK/dispatch.statelab"
  for r in 1 2 3; do
    log="$WORK/dispatch-$r"
    timed_stdin "$WORK/dispatch.statelab" ./jbang repl --keep-going
    awk -F'\t' -v r="$r" '$2 ~ /^error: .*not a Flink job id/ { k++; if (k > 1) printf "%s\t%d\t%.2f\n", r, k, ($1 - prev) / 1000; prev = $1 }' \
      "$log.ts" >>"$OUT/repl-dispatch.tsv"
  done

  # The REST client in one warm JVM (Flink's RestClient, as StateLab's FlinkRest sets it up): one client per
  # savepoint polled every 100 ms (what a REPL line does), and one shared client polled every 10 ms.
  say "  rest probe: 10 savepoints each way in one JVM, after 3 not counted"
  ./jbang "$here/RestProbe.java" "$REST" "$job" fresh 100 3 10 >"$OUT/rest-probe.tsv" 2>"$WORK/rest-probe.err" \
    || say "rest probe (fresh) failed: see $WORK/rest-probe.err"
  ./jbang "$here/RestProbe.java" "$REST" "$job" reuse 10 3 10 2>>"$WORK/rest-probe.err" | tail -n +2 >>"$OUT/rest-probe.tsv" \
    || say "rest probe (reuse) failed: see $WORK/rest-probe.err"
  printf 'k\tget_job_ms\n' >"$OUT/rest-rtt.tsv"
  for ((i = 1; i <= 10; i++)); do
    printf '%d\t%s\n' "$i" "$(curl -sf -o /dev/null -w '%{time_total}' "$REST/jobs/$job" | awk '{printf "%.1f", $1 * 1000}')" >>"$OUT/rest-rtt.tsv"
  done

  sleep 1.5 # the checkpoint history's cache, once more
  kill "$poller" 2>/dev/null; wait "$poller" 2>/dev/null
  printf 'checkpoint_id\tsavepoint\te2e_ms\ttrigger_ms\tack_ms\n' >"$OUT/checkpoints.tsv"
  sort -u -n "$WORK/checkpoints.raw" >>"$OUT/checkpoints.tsv"
  settle
  rm -rf "$CLUSTER_DIR/savepoints/savepoint-${job:0:6}-"*
}

# -----------------------------------------------------------------------------------------------------------------
# Part 2: the whole cycle.
# -----------------------------------------------------------------------------------------------------------------
# The steps of a REPL cycle, from its time-stamped output: start-up (process start → the submit command's first
# progress line), then each command ends at its result on stdout (job id, savepoint path, savepoint path, verdict),
# then the process's exit; and inside submit and resume, the parts their progress lines delimit (resume's
# run-until-verdict: from its jar run to its verdict line, which includes cancelling the job that failed to restore;
# cancel-failed: from the failing job's RESTARTING/FAILING/FAILED line to its "canceled", when that line is printed).
repl_steps() {
  awk -F'\t' -v rep="$1" -v v="$2" -v t0="$t0" -v wall="$wall_us" '
    function out(name, us) { printf "%s\t%s\t%s\t%d\n", rep, v, name, us / 1000 }
    BEGIN { split("submit savepoint swap-sst resume", name, " "); prev = t0 }
    $2 ~ /^submit: / && !started { started = 1; out("start-up", $1 - t0); prev = $1 }
    $2 ~ /^submit: uploading/ { up = $1 }
    $2 ~ /^submit: running/ { if (up) out("submit.upload", $1 - up); run = $1 }
    $2 ~ /^submit: submitted job/ { if (run) out("submit.run-jar", $1 - run); sub_ = $1 }
    $2 ~ /^resume: canceling job/ { c1 = $1 }
    $2 ~ /^resume: job .* canceled/ && c1 && !d1 { out("resume.cancel-original", $1 - c1); d1 = 1 }
    $2 ~ /^resume: uploading/ { ru = $1 }
    $2 ~ /^resume: running .* from / { if (ru) out("resume.upload", $1 - ru); rr = $1 }
    $2 ~ /^resume: verdict / { if (rr) out("resume.run-until-verdict", $1 - rr) }
    $2 ~ /^resume: job .* is (RESTARTING|FAILING|FAILED)/ && !f1 { f1 = $1 }
    $2 ~ /^resume: job .* canceled/ && f1 && !d2 { out("resume.cancel-failed", $1 - f1); d2 = 1 }
    (length($2) == 32 && $2 ~ /^[0-9a-f]+$/) || $2 ~ /^\// || $2 ~ /^(RESTORE_FAILED|RESTORED|TIMEOUT) / {
      k++
      if (k == 1 && sub_) out("submit.until-running", $1 - sub_)
      out(name[k], $1 - prev); prev = $1 }
    END { out("exit", t0 + wall - prev) }' "$log.ts"
}

part_cycle() {
  local rep pos v r
  say "part 2: the whole cycle: repl -f, experiment, bench/cycle's cli-poll"
  # --progress only adds per-step lines on stderr, which give the steps their times (as experiment --progress)
  printf 'set rest %s\nsubmit --progress word-count -- --keep-running\nsavepoint --progress\nswap-sst --progress\nresume --progress\n' \
    "$REST" >"$WORK/cycle.statelab"
  cp "$WORK/cycle.statelab" "$OUT/cycle.statelab"
  printf 'rep\tpos\tvariant\twall_ms\tcpu_ms\tload1\texit\tverdict\trebuilt\tdetail\n' >"$OUT/cycle-runs.tsv"
  printf 'rep\tvariant\tstep\tms\n' >"$OUT/cycle-steps.tsv"
  local variants=(repl experiment cli-poll) reps=()
  for ((r = 1; r <= WARMUP; r++)); do reps+=("w$r"); done
  for ((r = 1; r <= REPS; r++)); do reps+=("$r"); done
  local round=0
  for rep in "${reps[@]}"; do
    pos=0
    round=$((round + 1))
    for v in $(rotate "$round" "${variants[@]}"); do
      pos=$((pos + 1))
      log="$WORK/cycle-$rep-$v"
      settle
      verdict="" detail=""
      case $v in
        repl)
          timed ./jbang repl -f "$WORK/cycle.statelab"
          verdict=$(awk -F'\t' '$2 ~ /^(RESTORE_FAILED|RESTORED|TIMEOUT) / {split($2, w, " "); print w[1]; exit}' "$log.ts")
          detail=$(grep -o -m 1 'Sst file size mismatch' "$log.ts")
          repl_steps "$rep" "repl" >>"$OUT/cycle-steps.tsv"
          ;;
        experiment)
          timed ./jbang experiment --progress
          verdict=$(awk -F'\t' '$2 ~ /^(RESTORE_FAILED|RESTORED|TIMEOUT) / {split($2, w, " "); print w[1]; exit}' "$log.ts")
          detail=$(grep -o -m 1 'Sst file size mismatch' "$log.ts")
          # "experiment: submit    done (3.5s)": the step times experiment measures itself; start-up: until its first line
          awk -F'\t' -v rep="$rep" -v t0="$t0" '$2 ~ /^experiment: / { printf "%s\texperiment\tstart-up\t%d\n", rep, ($1 - t0) / 1000; exit }' \
            "$log.ts" >>"$OUT/cycle-steps.tsv"
          sed -n 's/^[0-9]*	\(experiment: [a-z-]* *\(done\|exit [0-9]*\) ([0-9.]*m\?s)\)$/\1/p' "$log.ts" \
            | awk -v rep="$rep" -v wall="$wall_us" '
              { d = $NF; gsub(/[()]/, "", d); ms = d ~ /ms$/ ? d + 0 : d * 1000; sum += ms
                printf "%s\texperiment\t%s\t%d\n", rep, $2, ms }
              END { printf "%s\texperiment\toutside-steps\t%d\n", rep, wall / 1000 - sum }' >>"$OUT/cycle-steps.tsv"
          ;;
        cli-poll)
          # bench/cycle's own polling CLI cycle (variant d), one cycle, from the same clone; its clock, its CPU
          # figure, its verdict. Its preparation (its own snapshot, builds) is outside its clock.
          load=$(load1)
          rm -rf "$WORK/cli-poll-out"
          REV=$SHA VARIANTS=d REPS=1 WARMUP=0 PROBES=0 STATELAB_REST_URL=$REST STATELAB_HOME=$STATELAB_HOME \
            CLUSTER_DIR=$CLUSTER_DIR OUT="$WORK/cli-poll-out" WORK="$WORK/cli-poll-work" \
            "$tree_cycle/bench/cycle/run.sh" >"$log.runsh" 2>&1
          local row
          row=$(awk -F'\t' 'NR == 2' "$WORK/cli-poll-out/runs.tsv" 2>/dev/null)
          if [ -n "$row" ]; then
            IFS=$'\t' read -r _ _ _ wall_ms cpu_ms load rc verdict rebuilt detail <<<"$row"
            wall_us=$((wall_ms * 1000))
            awk -F'\t' -v rep="$rep" 'NR > 1 {printf "%s\tcli-poll\t%s\t%s\n", rep, $3, $4}' "$WORK/cli-poll-out/steps.tsv" >>"$OUT/cycle-steps.tsv"
            for f in "$WORK"/cli-poll-work/1-d.*; do [ -f "$f" ] && cp "$f" "$log.${f##*.}"; done
          else
            wall_us=0 cpu_ms=0 rc=2 verdict=HARNESS_FAILED rebuilt=no detail="bench/cycle/run.sh: see $log.runsh"
          fi
          ;;
      esac
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$pos" "$v" "$((wall_us / 1000))" "$cpu_ms" "$load" "$rc" \
        "${verdict:-none}" "$rebuilt" "$detail" >>"$OUT/cycle-runs.tsv"
      say "  rep $rep $v: $((wall_us / 1000)) ms, exit $rc, ${verdict:-no verdict}, load $load$([ "$rebuilt" = yes ] && echo ', REBUILT')"
      case $rep in w*) ;; *) { [ "$verdict" = RESTORE_FAILED ] && [ "$rebuilt" = no ]; } || bad=$((bad + 1)) ;; esac
    done
  done
  settle
  rm -rf "$CLUSTER_DIR/savepoints/"savepoint-*
  echo "jbang launcher class-data archive in bench/cycle's snapshot: $(launcher_archive "$WORK/cli-poll-work/tree")" >>"$OUT/env.txt"
}

# -----------------------------------------------------------------------------------------------------------------
# Part 3: --help, warm, and its parts.
# -----------------------------------------------------------------------------------------------------------------
part_help() {
  local rep p cp l_sl e_sl l_sp e_sp e_repl l_sl_nocds
  say "part 3: --help, warm"
  if curl -sf "$REST/overview" >/dev/null; then settle; fi
  cp=$(./jbang info classpath scripts/StateLab.java) || die "jbang info classpath scripts/StateLab.java failed"
  exec_of statelab --help; l_sl=("${launcher_cmd[@]}"); e_sl=("${exec_cmd[@]}")
  exec_of savepoint --help; l_sp=("${launcher_cmd[@]}"); e_sp=("${exec_cmd[@]}")
  exec_of repl; e_repl=("${exec_cmd[@]}")
  # the launcher as it runs when its archive cannot be used (one made elsewhere, as in a copied bootstrap/lib/)
  local a l_version
  launcher_of --version; l_version=("${launcher_cmd[@]}")
  l_sl_nocds=()
  for a in "${l_sl[@]}"; do case $a in -XX:SharedArchiveFile=*) ;; *) l_sl_nocds+=("$a") ;; esac; done
  {
    echo "launcher for statelab --help: ${l_sl[*]}"
    echo "exec'd for statelab --help: ${e_sl[*]}" | sed 's/-classpath [^ ]* /-classpath <jar classpath> /'
    echo "exec'd for savepoint --help: ${e_sp[*]}" | sed 's/-classpath [^ ]* /-classpath <jar classpath> /'
    echo "exec'd for repl: ${e_repl[*]}" | sed 's/-classpath [^ ]* /-classpath <jar classpath> /'
  } >>"$OUT/commands.txt"

  printf 'rep\tpos\tprobe\twall_ms\tcpu_ms\tload1\texit\trebuilt\n' >"$OUT/help.tsv"
  local probes=(jbang-statelab-help jbang-savepoint-help java-cp-statelab-help exec-statelab-help launcher-statelab-help
    launcher-nocds-statelab-help exec-savepoint-help launcher-savepoint-help launcher-version java-version jbang-repl-empty
    exec-repl-empty)
  local r reps=()
  for ((r = 1; r <= WARMUP; r++)); do reps+=("w$r"); done
  for ((r = 1; r <= HELP_REPS; r++)); do reps+=("$r"); done
  local round=0
  for rep in "${reps[@]}"; do
    local pos=0
    round=$((round + 1))
    for p in $(rotate "$round" "${probes[@]}"); do
      pos=$((pos + 1))
      log="$WORK/help-$rep-$p"
      case $p in
        jbang-statelab-help) timed ./jbang statelab --help ;;
        jbang-savepoint-help) timed ./jbang savepoint --help ;;
        java-cp-statelab-help) timed "$JAVA" -cp "$cp" statelab.StateLab --help ;;
        exec-statelab-help) timed "${e_sl[@]}" ;;
        launcher-statelab-help) timed "${l_sl[@]}" ;;
        launcher-nocds-statelab-help) timed "${l_sl_nocds[@]}" ;;
        exec-savepoint-help) timed "${e_sp[@]}" ;;
        launcher-savepoint-help) timed "${l_sp[@]}" ;;
        launcher-version) timed "${l_version[@]}" ;;
        java-version) timed "$JAVA" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -version ;;
        jbang-repl-empty) timed ./jbang repl ;;      # stdin is /dev/null: the REPL starts, reads no line, exits
        exec-repl-empty) timed "${e_repl[@]}" ;;
      esac
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$pos" "$p" "$((wall_us / 1000))" "$cpu_ms" "$load" "$rc" "$rebuilt" >>"$OUT/help.tsv"
      case $p in launcher-version) [ "$rc" -eq 0 ] ;; launcher-*) [ "$rc" -eq 255 ] ;; *) [ "$rc" -eq 0 ] ;; esac \
        || say "  $p exited $rc (see $log.ts)"
    done
    say "  rep $rep done (load $(load1))"
  done

  # One-off, not timed: how many classes each JVM loads, and from where (-Xlog:class+load, added before -classpath).
  printf 'probe\tclasses\tfrom_cds\tfrom_jars\tpicocli_from_jar\tfirst_statelab_class_s\tlast_class_s\n' >"$OUT/classes.tsv"
  classes_of() {  # name, command...
    local name=$1 f="$WORK/classes-$1.log" c=() x
    shift
    for x in "$@"; do [ "$x" = -classpath ] || [ "$x" = -cp ] && c+=("-Xlog:class+load=info:file=$f"); c+=("$x"); done
    "${c[@]}" >/dev/null 2>&1 </dev/null
    awk -v name="$name" '
      { n++ } /source: shared objects file/ { cds++ } /source: (file:|jar:|jrt:)/ { jar++ } /picocli.* source: file:/ { pico++ }
      /\] statelab\./ && !first { first = $1 } { last = $1 }
      END { gsub(/[^0-9.]/, "", first); gsub(/[^0-9.]/, "", last); printf "%s\t%d\t%d\t%d\t%d\t%s\t%s\n", name, n, cds, jar, pico, first, last }' "$f" \
      >>"$OUT/classes.tsv"
  }
  classes_of exec-statelab-help "${e_sl[@]}"
  classes_of java-cp-statelab-help "$JAVA" -cp "$cp" statelab.StateLab --help
  classes_of exec-savepoint-help "${e_sp[@]}"
  classes_of launcher-statelab-help "${l_sl[@]}"
  classes_of launcher-nocds-statelab-help "${l_sl_nocds[@]}"
  local pico_jar
  pico_jar=$(tr ':' '\n' <<<"$cp" | grep -m 1 '/picocli-[0-9.]*\.jar$')
  echo "picocli: $(basename "$pico_jar"), class file version $(javap -v -cp "$pico_jar" picocli.CommandLine 2>/dev/null \
    | sed -n 's/^ *major version: //p') (CDS archives no class older than version 50)" >>"$OUT/env.txt"
}

for part in $PARTS; do
  case $part in
    savepoint) part_savepoint ;;
    cycle) part_cycle ;;
    help) part_help ;;
    *) die "unknown part '$part' (savepoint cycle help)" ;;
  esac
done
echo "loadavg_at_end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"

"$here/summarize.sh" "$OUT" >"$OUT/summary.md" || say "summarize.sh failed"
cat "$OUT/summary.md"
[ "$bad" -eq 0 ] || { say "$bad timed run(s) failed, had no RESTORE_FAILED verdict or rebuilt a script: see $OUT"; exit 1; }
