#!/usr/bin/env bash
# The TaskManager-kill soak: the running-sum job over a longer input, once without faults (the baseline) and once with
# 10 TaskManager kills (SIGKILL, a replacement TaskManager started each time), on one local cluster of its own.
#
#   per kill    when Flink noticed, when the replacement TaskManager registered, when all tasks ran again, when the
#               next checkpoint completed (sum-job --kill-tm's own measurements, from Flink's REST API, plus the
#               JobManager log's "Registering TaskManager" lines)
#   the output  sum-job's verifier: lines expected / written, duplicates, gaps (both must be 0)
#   the cost    wall time with kills against the baseline's; CPU time and RSS of the JobManager and of every
#               TaskManager, sampled once a second from /proc (bash builtins only: no process per sample but sleep)
#
# Usage: bench/chaos/run.sh from the checkout (about 10 minutes); writes bench/chaos/results/<UTC stamp>.md, keeps the
# raw data in bench/work/chaos/<UTC stamp>/. Knobs (environment): CHAOS_RECORDS (60000), CHAOS_RATE (250 records/s),
# CHAOS_KILLS (10), CHAOS_SEED (1), CHAOS_PORT (18741, REST port of the bench's cluster; must be free).
set -euo pipefail
cd "$(dirname "$0")/../.."
records=${CHAOS_RECORDS:-60000}
rate=${CHAOS_RATE:-250}
kills=${CHAOS_KILLS:-10}
seed=${CHAOS_SEED:-1}
port=${CHAOS_PORT:-18741}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work=$(pwd)/bench/work/chaos/$stamp
dir=$work/cluster
out=bench/chaos/results/$stamp.md
rest=http://127.0.0.1:$port
mkdir -p "$work" bench/chaos/results

if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "port $port is in use: stop what listens there or give CHAOS_PORT" >&2
  exit 9
fi

sampler=
cleanup() {
  if [ -n "$sampler" ]; then kill "$sampler" 2>/dev/null || true; fi
  ./jbang cluster stop --dir "$dir" >/dev/null 2>&1 || true
  # Whatever cluster stop left: the pids cluster.json names, if they are still this instance's processes.
  local json pid
  json=
  if IFS= read -r json 2>/dev/null <"$dir/.statelab/cluster.json" || [ -n "$json" ]; then
    for pid in $(grep -o 'Pid":[0-9]*' <<<"$json" | cut -d: -f2); do
      if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "--configDir $dir/.statelab/conf"; then
        kill -9 "$pid" 2>/dev/null || true
      fi
    done
  fi
}
trap cleanup EXIT

# Every second: "epoch-seconds role pid cpu-ticks rss-kB start-ticks" for the JobManager and the current TaskManager,
# whose pid is read again from cluster.json each time (a kill replaces it); and "epoch-seconds new-tm pid start" when
# the TaskManager's pid changes. Builtins only (read, printf); a pid that is gone between two reads is skipped.
sample() {
  local file=$1 state=$dir/.statelab/cluster.json json jm tm tmstart role pid line rest k v u rss last=
  local -a f
  exec 3>>"$file"
  while :; do
    json=
    IFS= read -r json 2>/dev/null <"$state" || true
    [[ $json =~ \"jobManagerPid\":([0-9]+) ]] && jm=${BASH_REMATCH[1]}
    [[ $json =~ \"taskManagerPid\":([0-9]+) ]] && tm=${BASH_REMATCH[1]}
    [[ $json =~ \"taskManagerStart\":\"([^\"]+)\" ]] && tmstart=${BASH_REMATCH[1]}
    if [ -n "${tm:-}" ] && [ "$tm" != "$last" ]; then
      printf '%s new-tm %s %s\n' "$EPOCHREALTIME" "$tm" "${tmstart:-?}" >&3
      last=$tm
    fi
    for role in jm tm; do
      pid=${!role:-}
      [ -n "$pid" ] || continue
      line=
      IFS= read -r line 2>/dev/null <"/proc/$pid/stat" || continue
      rest=${line##*) }
      read -ra f <<<"$rest"
      rss=
      while read -r k v u; do
        if [ "$k" = VmRSS: ]; then rss=$v; break; fi
      done 2>/dev/null <"/proc/$pid/status" || true
      [ -n "$rss" ] || continue
      printf '%s %s %s %s %s %s\n' "$EPOCHREALTIME" "$role" "$pid" "$((f[11] + f[12]))" "$rss" "${f[19]}" >&3
    done
    sleep 1
  done
}

cpu() { local _ u n s i w q sq st; read -r _ u n s i w q sq st _ </proc/stat; echo "$((u + n + s + q + sq + st)) $((i + w))"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# phase NAME ARGS...: one sum-job run with the sampler beside it; its JSON, stderr, exit code, wall time, the
# machine's CPU counters and load average before and after go to $work/NAME.*.
phase() {
  local name=$1 t0 t1 rc=0
  shift
  echo "$(load)" >"$work/$name.load"
  cpu >"$work/$name.cpu"
  sample "$work/$name.samples" &
  sampler=$!
  t0=$EPOCHREALTIME
  ./jbang sum-job --rest-url "$rest" --dir "$dir" --output "$work/out-$name" --json "$@" \
    >"$work/$name.json" 2>"$work/$name.err" || rc=$?
  t1=$EPOCHREALTIME
  kill "$sampler" 2>/dev/null || true
  wait "$sampler" 2>/dev/null || true
  sampler=
  cpu >>"$work/$name.cpu"
  echo "$(load)" >>"$work/$name.load"
  echo "$rc" >"$work/$name.rc"
  echo "$t0 $t1" >"$work/$name.wall"
  printf '%s: exit %s, %.1f s\n' "$name" "$rc" "$(bc -l <<<"$t1 - $t0")" >&2
  # Flink's view of the finished job: its duration, and the failures it recorded (with their timestamps)
  local job
  job=$(grep -o '"jobId":"[0-9a-f]*"' "$work/$name.json" | head -1 | cut -d'"' -f4 || true)
  if [ -n "$job" ]; then
    curl -sf "$rest/jobs/$job" >"$work/$name.job.json" || true
    curl -sf "$rest/jobs/$job/exceptions?maxExceptions=100" >"$work/$name.exceptions.json" || true
  fi
  return 0
}

{
  echo "nproc $(nproc)"
  grep MemTotal /proc/meminfo
  echo "cpu $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "kernel $(uname -r)"
  echo "java $(java -version 2>&1 | head -1)"
  echo "commit $(git rev-parse --short HEAD)"
  read -r up _ </proc/uptime
  echo "boot $(bc -l <<<"$EPOCHREALTIME - $up")"   # to the 10 ms (btime in /proc/stat is whole seconds)
  echo "clk_tck $(getconf CLK_TCK)"
  echo "start $(date -u +%Y-%m-%dT%H:%M:%SZ) load $(load)"
} >"$work/machine.txt"

echo "cluster: $dir on port $port" >&2
t=$EPOCHREALTIME
./jbang cluster start --dir "$dir" --port "$port" >"$work/cluster-start.out" 2>"$work/cluster-start.err"
echo "cluster start $(bc -l <<<"$EPOCHREALTIME - $t") s" >>"$work/machine.txt"
cp "$dir/.statelab/cluster.json" "$work/cluster-start.json"

common=(--records "$records" --rate "$rate")
echo "baseline: $records records at $rate/s, no kills..." >&2
phase baseline "${common[@]}"
echo "soak: the same input, $kills TaskManager kills (seed $seed)..." >&2
phase soak "${common[@]}" --kill-tm "$kills" --seed "$seed" --timeout 14m
echo "end $(date -u +%Y-%m-%dT%H:%M:%SZ) load $(load)" >>"$work/machine.txt"

cp "$dir/logs/jobmanager.log" "$work/jobmanager.log"
cleanup
trap - EXIT
{
  ps -eo pid,args | grep -F -- "--configDir $dir/.statelab/conf" | grep -v grep || true
} >"$work/leftover.txt"

printf -v cmd_base './jbang sum-job --rest-url %s --dir %s --output %s --json %s' "$rest" "$dir" "$work/out-baseline" "${common[*]}"
printf -v cmd_soak './jbang sum-job --rest-url %s --dir %s --output %s --json %s --kill-tm %s --seed %s --timeout 14m' \
  "$rest" "$dir" "$work/out-soak" "${common[*]}" "$kills" "$seed"
python3 bench/chaos/summarize.py "$work" "$stamp" "./jbang cluster start --dir $dir --port $port" "$cmd_base" "$cmd_soak" >"$out"
cat "$out"
echo "wrote $out (raw data: $work)" >&2
exit "$(cat "$work/soak.rc")"
