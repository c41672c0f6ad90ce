#!/usr/bin/env bash
# Issue 10's benchmark: the containerized cluster's start against the local one's, side by side, in turns.
#
#   start   `docker compose up -d` (Compose v2) → REST answers and the TaskManager's slots are registered, against
#           `./jbang cluster start` (which returns at exactly that point); teardown untimed.
#   verdict the one-liner `podman run --rm -v logs:/opt/flink/log statelab` (cluster in the container, experiment,
#           verdict, cluster stopped), against the same three steps on this machine:
#           `cluster start && experiment; cluster stop`, both whole processes.
#
# COMPOSE_V1="docker-compose" (or any command line of a 1.x docker-compose) adds a third start in each round, with
# that tool, for the two compose tools side by side.
#
# Every run is cold in the sense that matters: a new container (or new JVMs) with no cluster running; the image is
# built once before (untimed) and the page cache is warm. Usage: bench/containers/run.sh [RUNS] (default 5) from
# the checkout, after .ci/containers-setup; writes bench/containers/results/<UTC stamp>.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-5}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work=$(pwd)/bench/work/containers
out=bench/containers/results/$stamp.md
image=statelab-bench
project=statelab-bench
port=18641
mkdir -p "$work" bench/containers/results
sock=$work/podman.sock
rm -f "$sock"
podman system service --time=0 "unix://$sock" >"$work/service.log" 2>&1 &
service=$!
export DOCKER_HOST="unix://$sock"
cleanup() {
  (cd "$work/compose" 2>/dev/null && PWD=$work/compose STATELAB_PORT=$port STATELAB_IMAGE=$image \
     docker compose -f "$OLDPWD/docker-compose.yml" -p $project down -v -t 5 >/dev/null 2>&1) || true
  ./jbang cluster stop --dir "$work/local" >/dev/null 2>&1 || true
  kill "$service" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

echo "building the image (untimed)..." >&2
cas=$(cat /usr/local/share/ca-certificates/*.crt 2>/dev/null || true)
docker build -q --build-arg EXTRA_CA_CERTS="$cas" -t $image . >/dev/null

ready() { # until $1's overview shows a TaskManager with its two slots; curl and grep only: a poller that starts a
  # Python every 50 ms took CPU from the JVMs it waited for and made the compose start look 6 s slower
  until curl -sf "$1/overview" 2>/dev/null | grep -q '"slots-total":2,'; do
    sleep 0.1
  done
}

mkdir -p "$work/compose/logs" "$work/compose/savepoints" "$work/compose/output" "$work/one-liner/logs" "$work/local"
chmod a+rwx "$work/compose/logs" "$work/compose/savepoints" "$work/compose/output" "$work/one-liner/logs"
compose() { (cd "$work/compose" && PWD=$work/compose STATELAB_PORT=$port STATELAB_IMAGE=$image docker compose -f "$OLDPWD/docker-compose.yml" -p $project "$@"); }
compose_v1() { (cd "$work/compose" && PWD=$work/compose STATELAB_PORT=$port STATELAB_IMAGE=$image $COMPOSE_V1 -f "$OLDPWD/docker-compose.yml" -p $project "$@"); }

: >"$work/start-compose.txt"; : >"$work/start-local.txt"; : >"$work/verdict-container.txt"; : >"$work/verdict-local.txt"
: >"$work/start-ratio.txt"; : >"$work/verdict-ratio.txt"   # also after a run that was stopped before its end
: >"$work/start-v1.txt"; : >"$work/start-v1-ratio.txt"
load() { cut -d' ' -f1-3 /proc/loadavg; }
loads="$(load)"
for i in $(seq 0 "$runs"); do   # run 0 is the warm-up, not counted
  t=$(now); compose up -d >/dev/null 2>&1; ready "http://127.0.0.1:$port"; s=$(since "$t")
  compose down -v -t 5 >/dev/null 2>&1
  v1=""
  if [ -n "${COMPOSE_V1:-}" ]; then
    t=$(now); compose_v1 up -d >/dev/null 2>&1; ready "http://127.0.0.1:$port"; v1=$(since "$t")
    compose_v1 down -v -t 5 >/dev/null 2>&1
  fi
  t=$(now); ./jbang cluster start --dir "$work/local" --port $port >/dev/null 2>&1; l=$(since "$t")
  ./jbang cluster stop --dir "$work/local" >/dev/null 2>&1
  t=$(now); podman run --rm -v "$work/one-liner/logs:/opt/flink/log" $image >"$work/verdict-container.out" 2>/dev/null || true; vc=$(since "$t")
  t=$(now); (./jbang cluster start --dir "$work/local" --port $port >/dev/null 2>&1 \
     && STATELAB_REST_URL=http://127.0.0.1:$port ./jbang experiment >"$work/verdict-local.out" 2>/dev/null; \
     ./jbang cluster stop --dir "$work/local" >/dev/null 2>&1) || true; vl=$(since "$t")
  echo "run $i: compose start $s s,${v1:+ compose v1 start $v1 s,} local start $l s, one-liner $vc s ($(cut -c1-14 "$work/verdict-container.out")), local experiment $vl s ($(cut -c1-14 "$work/verdict-local.out"))" >&2
  if [ "$i" -gt 0 ]; then
    echo "$s" >>"$work/start-compose.txt"; echo "$l" >>"$work/start-local.txt"
    echo "$vc" >>"$work/verdict-container.txt"; echo "$vl" >>"$work/verdict-local.txt"
    echo "$(echo "$s / $l" | bc -l)" >>"$work/start-ratio.txt"
    if [ -n "$v1" ]; then echo "$v1" >>"$work/start-v1.txt"; echo "$(echo "$v1 / $l" | bc -l)" >>"$work/start-v1-ratio.txt"; fi
    echo "$(echo "$vc / $vl" | bc -l)" >>"$work/verdict-ratio.txt"
  fi
  loads="$loads / $(load)"
done

m() { median <"$work/$1.txt"; }
range() { sort -g "$work/$1.txt" | awk 'NR == 1 { min = $1 } { max = $1 } END { printf "%.2f–%.2f", min, max }'; }
{
  echo "# containers benchmark, $stamp, StateLab $(git rev-parse --short HEAD)"
  echo
  echo "$(docker compose version), $(podman --version)"
  echo
  echo "$runs counted runs after 1 warm-up, in turns (compose, local, one-liner, local experiment); load average per round: $loads"
  echo
  echo "| what | containerized s, median (min–max) | local s, median (min–max) | ratio container/local, median of pairs (min–max) |"
  echo "|---|---:|---:|---:|"
  printf '| start → REST up, TaskManager registered | %.2f (%s) | %.2f (%s) | **%.2f×** (%s) |\n' "$(m start-compose)" "$(range start-compose)" \
    "$(m start-local)" "$(range start-local)" "$(m start-ratio)" "$(range start-ratio)"
  if [ -s "$work/start-v1.txt" ]; then
    printf '| the same start with %s | %.2f (%s) | (the same local starts) | **%.2f×** (%s) |\n' "$($COMPOSE_V1 version --short 2>/dev/null | sed 's/^/docker-compose /')" \
      "$(m start-v1)" "$(range start-v1)" "$(m start-v1-ratio)" "$(range start-v1-ratio)"
  fi
  printf '| cluster + experiment + verdict + stop | %.2f (%s) | %.2f (%s) | **%.2f×** (%s) |\n' "$(m verdict-container)" "$(range verdict-container)" \
    "$(m verdict-local)" "$(range verdict-local)" "$(m verdict-ratio)" "$(range verdict-ratio)"
  echo
  echo "Verdicts of the last run: container \`$(cut -c1-40 "$work/verdict-container.out")…\`, local \`$(cut -c1-40 "$work/verdict-local.out")…\`"
} >"$out"
rm -f "$work"/*-ratio.txt "$work"/start-v1.txt
docker rmi -f $image >/dev/null 2>&1 || true
cat "$out"
