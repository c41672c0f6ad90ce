#!/usr/bin/env bash
# The full-cycle benchmark: submit → job RUNNING → native savepoint → swap-sst → resume → verdict, through
# StateLab and through Flink's own CLI (CliFrontend), side by side on one running local cluster.
#
# Variants (run in a rotating order within each repetition, so none always runs first or after the same one):
#   a  StateLab pipeline:  ./jbang submit word-count -- --keep-running | ./jbang savepoint | ./jbang swap-sst | ./jbang resume
#   b  StateLab one-shot:  ./jbang experiment
#   c  the seed's way:     flink run -d; sleep 5; flink savepoint -type native; sleep 4; swap; flink cancel;
#                          flink run -d -s; sleep 10; flink list -a | grep | sed
#   d  CLI, polling:       the same CLI commands, fixed sleeps replaced by `flink list -r` polling (every POLL s)
#                          and a retried `flink savepoint`; the restore failure is detected by polling the REST
#                          API with curl until the job is FAILING/FAILED/RESTARTING
#   e  CLI, curl polling:  as d, but the "job and its tasks RUNNING" wait also polls the REST API with curl
#                          (an extra, leanest CLI variant: no JVM is started just to wait)
# The swap step is `./jbang swap-sst` in every variant (piped in a, in-process in b, `./jbang swap-sst PATH` in
# c, d, e), so the variants differ only in how the cycle is orchestrated.
#
# Flink's CLI runs as bin/flink runs it: `java <env.java.opts.all> -Dlog.file=... -cp <classpath> CliFrontend`,
# with the classpath of FlinkCli.java (jbang info classpath, resolved once, before anything is timed) and
# FLINK_CONF_DIR = the cluster's own config directory.
#
# Usage (from anywhere; a cluster must run, see README.md):
#   bench/cycle/run.sh                 # 5 timed repetitions of every variant after 1 warm-up round
#   REPS=7 VARIANTS="a c" bench/cycle/run.sh
# The StateLab side runs from a snapshot of the checkout at REV (default HEAD: `git archive`, plus JBang's jars
# from bootstrap/lib) under WORK, not from the working tree: people edit scripts/ while a run goes on, and jbang
# would then recompile inside timed runs. A timed run that still shows "[jbang] Building jar" is marked rebuilt
# and left out of the summary.
#
# Environment: REPS (5), WARMUP (1), VARIANTS ("a b c d e"), PROBES (5; 0 skips the JVM start-up probes),
#   REV (HEAD), POLL (0.15 s), DEADLINE (60 s per wait), STATELAB_REST_URL (http://127.0.0.1:18381),
#   STATELAB_HOME (/tmp/bench-home), CLUSTER_DIR (/tmp/bench-cluster), OUT (bench/cycle/results/<UTC time>),
#   WORK (/tmp/bench-cycle-work/<UTC time>: logs of every run).
# Writes OUT/runs.tsv (one line per run), OUT/steps.tsv (per-step times), OUT/probes.tsv, OUT/cli-phases.tsv
# (cli-phases.sh), OUT/env.txt and OUT/summary.md (summarize.sh); REPS=0 WARMUP=0 runs the probes alone.
# Exit code 0 when every timed run reached a restore-failure verdict without a jbang rebuild, 1 otherwise,
# 2 when the benchmark could not start.
set -u -o pipefail

here=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
stamp=$(date -u +%Y%m%dT%H%M%SZ)

REPS=${REPS:-5}
WARMUP=${WARMUP:-1}
VARIANTS=${VARIANTS:-"a b c d e"}
PROBES=${PROBES:-5}
POLL=${POLL:-0.15}
DEADLINE=${DEADLINE:-60}
export STATELAB_REST_URL=${STATELAB_REST_URL:-http://127.0.0.1:18381}
export STATELAB_HOME=${STATELAB_HOME:-/tmp/bench-home}
CLUSTER_DIR=${CLUSTER_DIR:-/tmp/bench-cluster}
export FLINK_CONF_DIR=$CLUSTER_DIR/.statelab/conf
OUT=${OUT:-$here/results/$stamp}
WORK=${WORK:-/tmp/bench-cycle-work/$stamp}
REST=$STATELAB_REST_URL
REV=${REV:-HEAD}

say() { printf '%s run.sh: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { say "error: $*"; exit 2; }
now_ms() { local us=${EPOCHREALTIME/./}; echo $((us / 1000)); }

mkdir -p "$OUT" "$WORK" || die "cannot create $OUT or $WORK"

# ---------------------------------------------------------------------------------------------------------------
# Preparation (not timed): the cluster answers, every script is built, the CLI's classpath and the job's jar known.
# ---------------------------------------------------------------------------------------------------------------
curl -sf "$REST/overview" >/dev/null || die "no Flink REST API at $REST: ./jbang cluster start --port 18381 --dir $CLUSTER_DIR"
[ -f "$FLINK_CONF_DIR/config.yaml" ] || die "no $FLINK_CONF_DIR/config.yaml (is $CLUSTER_DIR the cluster's --dir?)"
SAVEPOINT_DIR=file://$CLUSTER_DIR/savepoints

tree=$WORK/tree
REV_SHA=$(git -C "$root" rev-parse --short "$REV") || die "unknown REV '$REV'"
say "snapshot of $REV ($REV_SHA) in $tree"
mkdir -p "$tree"
git -C "$root" archive --format=tar "$REV" jbang jbang-catalog.json config.yaml bootstrap scripts jobs | tar -x -C "$tree" \
  || die "git archive $REV failed"
[ -d "$root/bootstrap/lib" ] || die "no $root/bootstrap/lib: run ./jbang --version once in $root"
cp -a "$root/bootstrap/lib" "$tree/bootstrap/"
cd "$tree" || die "cannot cd to $tree"

say "building the scripts (not timed)"
for s in scripts/Submit.java scripts/Savepoint.java scripts/SwapSst.java scripts/Resume.java scripts/Experiment.java \
    jobs/WordCount.java "$here/FlinkCli.java"; do
  ./jbang build "$s" >"$WORK/build.log" 2>&1 || { cat "$WORK/build.log" >&2; die "jbang build $s failed"; }
done
CLI_CP=$(./jbang info classpath "$here/FlinkCli.java") || die "jbang info classpath FlinkCli.java failed"
JOB_JAR=$(./jbang info tools jobs/WordCount.java | jq -r .applicationJar)
[ -f "$JOB_JAR" ] || die "no WordCount jar at '$JOB_JAR'"
# bin/flink passes env.java.opts.all (+ .client) to the client JVM; Java 17 needs these --add-opens for job graphs.
CLI_OPTS=$(sed -n 's/^ *all: //p' "$FLINK_CONF_DIR/config.yaml" | head -n 1)
JAVA=${JAVA_HOME:+$JAVA_HOME/bin/}java

flink() {
  # shellcheck disable=SC2086 # CLI_OPTS is a list of JVM options
  "$JAVA" $CLI_OPTS -Dlog.file="$WORK/flink-cli.log" -Dlog4j.configurationFile="file:$here/log4j-cli.properties" \
    -classpath "$CLI_CP" org.apache.flink.client.cli.CliFrontend "$@"
}

{
  echo "date_utc: $stamp"
  echo "host: $(uname -srm)"
  echo "nproc: $(nproc)"
  echo "mem: $(free -g | awk '/^Mem:/ {print $2 " GiB total, " $7 " GiB available"}')"
  echo "loadavg_at_start: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "java: $("$JAVA" -version 2>&1 | head -n 1)"
  echo "statelab: $REV_SHA ($REV), run from a snapshot in $tree"
  echo "rest: $REST"
  echo "flink: $(curl -s "$REST/overview" | jq -r '."flink-version"')"
  echo "slots: $(curl -s "$REST/overview" | jq -r '."slots-total"')"
  echo "web.refresh-interval: $(sed -n '/^web:/,/^[a-z]/s/^ *refresh-interval: //p' "$FLINK_CONF_DIR/config.yaml")"
  echo "reps: $REPS warmup: $WARMUP variants: $VARIANTS poll: ${POLL}s deadline: ${DEADLINE}s"
} >"$OUT/env.txt"

printf 'rep\tpos\tvariant\twall_ms\tcpu_ms\tload1\texit\tverdict\trebuilt\tdetail\n' >"$OUT/runs.tsv"
printf 'rep\tvariant\tstep\tms\n' >"$OUT/steps.tsv"

# ---------------------------------------------------------------------------------------------------------------
# Between runs (not timed): no job of an earlier run may still hold slots.
# ---------------------------------------------------------------------------------------------------------------
live_jobs() {
  curl -sf "$REST/jobs" | jq -r '.jobs[] | select(.status | IN("FINISHED", "CANCELED", "FAILED") | not) | .id'
}

settle() {
  local deadline=$(( $(now_ms) + DEADLINE * 1000 )) j
  for j in $(live_jobs); do
    curl -sf -X PATCH "$REST/jobs/$j?mode=cancel" >/dev/null && say "canceled leftover job $j"
  done
  while :; do
    local o
    o=$(curl -sf "$REST/overview")
    if [ -z "$(live_jobs)" ] && [ "$(jq '."slots-available" == ."slots-total"' <<<"$o")" = true ]; then
      sleep 1 # let the cluster finish cleaning up after the last job before the next clock starts
      return 0
    fi
    [ "$(now_ms)" -gt "$deadline" ] && die "slots still taken after ${DEADLINE}s: $o"
    sleep 0.2
  done
}

# Per-step bookkeeping of one run.
steps=()
mark() { local t; t=$(now_ms); steps+=("$1=$((t - t_last))"); t_last=$t; }

job_state() { curl -sf "$REST/jobs/$1" | jq -r .state 2>/dev/null; }
first_cause() {
  curl -sf "$REST/jobs/$1/exceptions" | jq -r '.exceptionHistory.entries | min_by(.timestamp) | .stacktrace // ""' 2>/dev/null \
    | grep -o -m 1 'RocksDBException: [^:]*' | head -n 1
}

# ---------------------------------------------------------------------------------------------------------------
# The variants. Each sets: rc, verdict, detail, steps.
# ---------------------------------------------------------------------------------------------------------------
variant_a() {  # StateLab pipeline
  local ends="$log.ends"
  : >"$ends"
  stage() { local name=$1 code; shift; "$@"; code=$?; echo "$name $(now_ms) $code" >>"$ends"; return $code; }
  local codes
  {
    stage submit ./jbang submit word-count -- --keep-running \
      | stage savepoint ./jbang savepoint \
      | stage swap-sst ./jbang swap-sst \
      | stage resume ./jbang resume >"$log.out"
    codes=("${PIPESTATUS[@]}")
  } 2>"$log.err"
  rc=${codes[3]}
  verdict=$(awk '{print $1; exit}' "$log.out")
  detail="exits=${codes[*]}; $(grep -o -m 1 'Sst file size mismatch' "$log.out")"
  local prev=$t_last name t code
  while read -r name t code; do steps+=("$name=$((t - prev))"); prev=$t; done < <(sort -k2,2n "$ends")
}

variant_b() {  # StateLab one-shot; --progress only adds its per-step lines to stderr
  ./jbang experiment --progress >"$log.out" 2>"$log.err"
  rc=$?
  verdict=$(awk '{print $1; exit}' "$log.out")
  detail="$(grep -o -m 1 'Sst file size mismatch' "$log.out")"
  # "experiment: submit    done (3.5s)": the step times the command measured itself
  local name d ms in_jvm=0
  while read -r name d; do
    case $d in
      *ms) ms=${d%ms} ;;
      *s) ms=$(awk -v s="${d%s}" 'BEGIN {printf "%d", s * 1000}') ;;
      *) continue ;;
    esac
    steps+=("$name=$ms"); in_jvm=$((in_jvm + ms))
  done < <(sed -n 's/^experiment: \([a-z-]*\) *\(done\|exit [0-9]*\) (\([0-9.]*m\?s\))$/\1 \3/p' "$log.err")
  steps+=("outside-steps=$(( $(now_ms) - t_last - in_jvm ))")
}

cli_submit() {  # flink run -d [ -s SAVEPOINT ] → job id on stdout
  local out
  out=$(flink run -d "$@" "$JOB_JAR" --keep-running 2>>"$log.err") || { echo "$out" >>"$log.err"; return 1; }
  echo "$out" >>"$log.out"
  sed -n 's/.*JobID \([0-9a-f]\{32\}\).*/\1/p' <<<"$out" | head -n 1
}

cli_savepoint() {  # flink savepoint ID DIR -type native → savepoint path on stdout
  local out
  out=$(flink savepoint "$1" "$SAVEPOINT_DIR" -type native 2>>"$log.err")
  echo "$out" >>"$log.out"
  sed -n 's/.*Path: \(file:[^ ]*\).*/\1/p' <<<"$out" | head -n 1
}

variant_c() {  # the seed's way: fixed sleeps, outcome scraped from `flink list -a`
  local id id2 sp state
  id=$(cli_submit) && [ -n "$id" ] || { rc=1; verdict=SUBMIT_FAILED; return; }
  mark run
  sleep 5; mark sleep5
  sp=$(cli_savepoint "$id")
  mark savepoint
  [ -n "$sp" ] || { rc=1; verdict=SAVEPOINT_FAILED; return; }
  sleep 4; mark sleep4
  ./jbang swap-sst "$sp" >>"$log.out" 2>>"$log.err" || { rc=1; verdict=SWAP_FAILED; return; }
  mark swap-sst
  flink cancel "$id" >>"$log.out" 2>>"$log.err"; mark cancel
  id2=$(cli_submit -s "$sp") && [ -n "$id2" ] || { rc=1; verdict=RESUME_SUBMIT_FAILED; return; }
  mark run-s
  sleep 10; mark sleep10
  state=$(flink list -a 2>>"$log.err" | tee -a "$log.out" | grep "$id2" | sed -n 's/.*(\([A-Z]*\))$/\1/p')
  mark list-a
  case $state in
    FAILED | FAILING | RESTARTING) verdict=RESTORE_FAILED; rc=10 ;;
    *) verdict=${state:-NO_STATE}; rc=1 ;;
  esac
  detail="job $id2 $state"
}

# Waits until `flink list -r` shows the job RUNNING, polling every POLL seconds.
wait_running_cli() {
  local deadline=$(( $(now_ms) + DEADLINE * 1000 )) calls=0
  while :; do
    calls=$((calls + 1))
    if flink list -r 2>>"$log.err" | grep -q "$1 : .*(RUNNING)"; then polls="$polls list-r:$calls"; return 0; fi
    [ "$(now_ms)" -gt "$deadline" ] && return 1
    sleep "$POLL"
  done
}

# Waits until the REST API shows the job and all its tasks RUNNING, polling every POLL seconds.
wait_running_curl() {
  local deadline=$(( $(now_ms) + DEADLINE * 1000 )) calls=0
  while :; do
    calls=$((calls + 1))
    if curl -sf "$REST/jobs/$1" | jq -e '.state == "RUNNING" and ([.vertices[] | .status == "RUNNING"] | all)' >/dev/null 2>&1; then
      polls="$polls curl:$calls"; return 0
    fi
    [ "$(now_ms)" -gt "$deadline" ] && return 1
    sleep "$POLL"
  done
}

# `flink savepoint` has its own wait (it returns when the savepoint is complete) but fails when tasks are not
# all running yet: retry until the deadline. Sets sp.
savepoint_retrying() {
  local deadline=$(( $(now_ms) + DEADLINE * 1000 )) tries=0
  while :; do
    tries=$((tries + 1))
    sp=$(cli_savepoint "$1")
    if [ -n "$sp" ]; then polls="$polls savepoint-tries:$tries"; return 0; fi
    [ "$(now_ms)" -gt "$deadline" ] && return 1
    sleep "$POLL"
  done
}

# Waits until the resumed job fails or restarts (REST, curl), i.e. the restore failed. Sets state.
wait_failure_curl() {
  local deadline=$(( $(now_ms) + DEADLINE * 1000 )) calls=0
  while :; do
    calls=$((calls + 1))
    state=$(job_state "$1")
    case $state in
      FAILING | FAILED | RESTARTING) polls="$polls curl:$calls"; return 0 ;;
      CANCELED | FINISHED) return 0 ;;
    esac
    [ "$(now_ms)" -gt "$deadline" ] && { state=${state:-NO_STATE}; return 1; }
    sleep "$POLL"
  done
}

variant_poll() {  # d and e: $1 is the RUNNING wait (wait_running_cli or wait_running_curl)
  local wait_running=$1 id id2 cause
  polls="" sp="" state=""
  id=$(cli_submit) && [ -n "$id" ] || { rc=1; verdict=SUBMIT_FAILED; return; }
  mark run
  "$wait_running" "$id" || { rc=4; verdict=TIMEOUT_RUNNING; return; }
  mark wait-running
  savepoint_retrying "$id" || { rc=4; verdict=SAVEPOINT_FAILED; return; }
  mark savepoint
  ./jbang swap-sst "$sp" >>"$log.out" 2>>"$log.err" || { rc=1; verdict=SWAP_FAILED; return; }
  mark swap-sst
  flink cancel "$id" >>"$log.out" 2>>"$log.err"; mark cancel
  id2=$(cli_submit -s "$sp") && [ -n "$id2" ] || { rc=1; verdict=RESUME_SUBMIT_FAILED; return; }
  mark run-s
  wait_failure_curl "$id2"
  mark wait-failure
  cause=$(first_cause "$id2")
  mark root-cause
  case $state in
    FAILED | FAILING | RESTARTING) verdict=RESTORE_FAILED; rc=10 ;;
    *) verdict=$state; rc=1 ;;
  esac
  detail="job $id2 $state; $cause;$polls"
}

variant_d() { variant_poll wait_running_cli; }
variant_e() { variant_poll wait_running_curl; }

name_of() {
  case $1 in
    a) echo statelab-pipeline ;; b) echo statelab-experiment ;; c) echo cli-seed-sleeps ;;
    d) echo cli-poll ;; e) echo cli-poll-curl ;; *) die "unknown variant '$1' (a b c d e)" ;;
  esac
}

# Sets children_cpu to the CPU time (user + sys, ms) of all the finished child processes of this shell: bash's
# `times` builtin, which must run in this shell (in a $(...) subshell it would see only that subshell's children).
read_children_cpu() {
  times >"$WORK/.times"
  children_cpu=$(tail -n 1 "$WORK/.times" \
    | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); n += p[1] * 60000 + p[2] * 1000 } printf "%d", n }')
}

run_one() {  # rep pos variant
  local rep=$1 pos=$2 v=$3 t0 wall cpu0 cpu load1 rebuilt=no
  settle
  log="$WORK/$rep-$v"
  rc=1 verdict="" detail="" steps=()
  say "rep $rep: $v ($(name_of "$v"))"
  load1=$(cut -d' ' -f1 /proc/loadavg)
  read_children_cpu; cpu0=$children_cpu
  t0=$(now_ms); t_last=$t0
  "variant_$v"
  wall=$(( $(now_ms) - t0 ))
  read_children_cpu; cpu=$((children_cpu - cpu0))
  grep -q 'Building jar\|Resolving dependencies' "$log.err" 2>/dev/null && rebuilt=yes
  say "  $(name_of "$v"): ${wall} ms (client CPU ${cpu} ms, load ${load1}), exit $rc, $verdict$([ $rebuilt = yes ] && echo ', jbang REBUILT')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$rep" "$pos" "$v" "$wall" "$cpu" "$load1" "$rc" "${verdict:-none}" \
    "$rebuilt" "$detail" >>"$OUT/runs.tsv"
  local s
  for s in "${steps[@]}"; do printf '%s\t%s\t%s\t%s\n' "$rep" "$v" "${s%%=*}" "${s#*=}" >>"$OUT/steps.tsv"; done
}

# ---------------------------------------------------------------------------------------------------------------
# Probes (not part of any cycle): what one process start costs, alternated, PROBES times each.
# ---------------------------------------------------------------------------------------------------------------
probes() {
  local sp_cp i p t0 cpu0
  sp_cp=$(./jbang info classpath scripts/SwapSst.java)
  printf 'rep\tprobe\tms\tcpu_ms\n' >"$OUT/probes.tsv"
  settle
  for ((i = 1; i <= PROBES; i++)); do
    for p in jbang-info-tools jbang-swap-sst-help java-swap-sst-help java-c1-swap-sst-help flink-list-r flink-help bash-java-utils \
        curl-job-list; do
      read_children_cpu; cpu0=$children_cpu
      t0=$(now_ms)
      case $p in
        jbang-info-tools) ./jbang info tools jobs/WordCount.java ;;                   # what submit and resume run first
        jbang-swap-sst-help) ./jbang swap-sst --help ;;                               # launcher JVM + command JVM
        java-swap-sst-help) "$JAVA" -classpath "$sp_cp" statelab.SwapSst --help ;;    # command JVM alone
        java-c1-swap-sst-help) "$JAVA" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -classpath "$sp_cp" statelab.SwapSst --help ;;
        flink-list-r) flink list -r ;;                                                # CLI JVM + one REST call
        flink-help) flink --help ;;                                                   # CLI JVM, no REST call
        bash-java-utils) "$JAVA" -classpath "$CLI_CP" org.apache.flink.runtime.util.bash.BashJavaUtils \
            UPDATE_AND_GET_FLINK_CONFIGURATION --configDir "$FLINK_CONF_DIR" -flatten ;; # bin/flink's config.sh JVM
        curl-job-list) curl -sf "$REST/jobs" ;;
      esac >/dev/null 2>&1
      t0=$(( $(now_ms) - t0 ))
      read_children_cpu
      printf '%s\t%s\t%s\t%s\n' "$i" "$p" "$t0" "$((children_cpu - cpu0))" >>"$OUT/probes.tsv"
    done
  done
}

# ---------------------------------------------------------------------------------------------------------------
read -r -a vs <<<"$VARIANTS"
for v in "${vs[@]}"; do name_of "$v" >/dev/null; done
say "results in $OUT, logs in $WORK"

for ((w = 1; w <= WARMUP; w++)); do
  for v in "${vs[@]}"; do run_one "w$w" 0 "$v"; done
done
for ((rep = 1; rep <= REPS; rep++)); do
  n=${#vs[@]}
  for ((k = 0; k < n; k++)); do
    run_one "$rep" "$((k + 1))" "${vs[$(( (rep - 1 + k) % n ))]}"
  done
done
if [ "$PROBES" -gt 0 ]; then
  say "probes: process start costs, $PROBES each"
  probes
fi
settle
echo "loadavg_at_end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"


"$here/cli-phases.sh" "$WORK/flink-cli.log" >"$OUT/cli-phases.tsv" 2>/dev/null || rm -f "$OUT/cli-phases.tsv"
"$here/summarize.sh" "$OUT" >"$OUT/summary.md"
cat "$OUT/summary.md"
bad=$(awk -F'\t' 'NR > 1 && $1 !~ /^w/ && ($8 != "RESTORE_FAILED" || $9 != "no")' "$OUT/runs.tsv" | wc -l)
[ "$bad" -eq 0 ] || { say "$bad timed run(s) without a RESTORE_FAILED verdict or with a jbang rebuild: see $OUT/runs.tsv"; exit 1; }
