#!/usr/bin/env bash
# Issue 11's benchmark: swap-sst on an SST stored in a local S3 server against the same on local disk, and against a
# plain download + upload of that object with curl (SigV4), the S3 API's own way, in turns.
#
#   s3     ./jbang swap-sst s3://bench/input.sst: the object fetched into a local copy and rewritten there; the original
#          copied to input.sst.bak inside the store, and input.sst replaced by a multipart upload of the changed tail
#          whose other parts are copies of the original's ranges inside the store (docs/remote.md)
#   local  ./jbang swap-sst FILE on a copy of the same SST on disk
#   curl   curl GET of the object to a file, then curl PUT of that file back: what any S3 client moves at least
#
# The server is S3Proxy 2.6.0 with its file-system back end (src/test/jbang/S3Server.java) on 127.0.0.1; the SST a
# Flink-like one made by bench/GenerateSst.java. Before each timed run the object is put back as it was and the
# local copy StateLab keeps is deleted, so each s3 run downloads the whole object. Wall time and peak RSS from GNU
# time; bytes moved from curl's own counters, and for swap-sst from what it reports (--json) and what it uploads.
#
# Usage: bench/s3/run.sh [RUNS] (default 3), SIZE=1g by default; writes bench/s3/results/<UTC stamp>.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
size=${SIZE:-1g}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
work=$(pwd)/bench/work/s3
out=bench/s3/results/$stamp.md
port=${PORT:-19561}
export AWS_ACCESS_KEY_ID=statelab-bench AWS_SECRET_ACCESS_KEY=statelab-bench-secret
export STATELAB_HOME=$work/home FLINK_CONF_DIR=$work/conf
mkdir -p "$work/conf" bench/s3/results
rm -rf "$work/data" "$work/home"

server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null || true; }
trap cleanup EXIT
coproc S3 { exec ./jbang src/test/jbang/S3Server.java "$port" "$work/data" bench 2>"$work/server.log"; }
server=$S3_PID
read -r ready <&"${S3[0]}"
[[ "$ready" == ready* ]] || { echo "run.sh: S3Server did not start: $ready (see $work/server.log)" >&2; exit 1; }
endpoint=http://127.0.0.1:$port

sed -e 's|dir: file:///opt/flink/checkpoints|dir: s3://bench/checkpoints|' \
    -e 's|savepoint-dir: file:///opt/flink/savepoints|savepoint-dir: s3://bench/savepoints|' config.yaml >"$work/conf/config.yaml"
printf '\ns3:\n  endpoint: %s\n  path.style.access: true\n  directory.marker.retention: keep\n' "$endpoint" >>"$work/conf/config.yaml"

input=$work/input-$size.sst
if [ ! -s "$input" ]; then
  echo "generating a $size Flink-like SST (untimed)..." >&2
  ./jbang bench/GenerateSst.java --json --size "$size" "$input" >"$input.json"
fi
bytes=$(stat -c %s "$input")
# S3Proxy wants the payload hash header, which curl 7.88 does not send by itself
s3curl() { curl -sS --fail --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
# the original back, and the previous round's backup gone (swap-sst refuses to overwrite a backup)
put_original() { s3curl -T "$input" "$endpoint/bench/input.sst" >/dev/null; s3curl -X DELETE "$endpoint/bench/input.sst.bak" >/dev/null; }
./jbang swap-sst --version >/dev/null 2>&1   # built before anything is timed

timed() { # label logfile command...: wall seconds and max RSS (KiB) of the whole process
  local label=$1 log=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >"$log" 2>>"$work/stderr.log"
  read -r wall rss <"$work/time.txt"
  echo "$label $wall $rss"
}

: >"$work/runs.txt"
loads="$(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 0 "$runs"); do   # round 0 is the warm-up (and resolves the S3 plugin once), not counted
  put_original; rm -rf "$work/home/remote"; sync
  s3=$(timed s3 "$work/s3.json" ./jbang swap-sst --json s3://bench/input.sst)
  cp "$input" "$work/scratch.sst"; sync
  local_run=$(timed local "$work/local.json" ./jbang swap-sst --json "$work/scratch.sst")
  rm -f "$work/down.sst"; sync
  t0=$(date +%s.%N)
  down=$(s3curl -o "$work/down.sst" -w '%{size_download}' "$endpoint/bench/input.sst")
  up=$(s3curl -T "$work/down.sst" -w '%{size_upload}' -o /dev/null "$endpoint/bench/copy.sst")
  curl_wall=$(echo "$(date +%s.%N) - $t0" | bc)
  # bytes sent, and bytes of the SST fetched (bytesFetched; a swap-sst without it fetched the object whole)
  read -r uploaded fetched < <(python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['bytesWritten'], d.get('bytesFetched') if d.get('bytesFetched') is not None else d['bytesBefore'])" "$work/s3.json")
  echo "round $i: $s3 | $local_run | curl $curl_wall s (down $down, up $up bytes) | swap-sst fetched $fetched bytes, sent $uploaded" >&2
  if [ "$i" -gt 0 ]; then
    echo "$s3 | $local_run | curl $curl_wall $down $up | $uploaded $fetched" >>"$work/runs.txt"
  fi
  loads="$loads / $(cut -d' ' -f1-3 /proc/loadavg)"
done

python3 - "$work/runs.txt" "$bytes" "$loads" "$stamp" "$(git describe --always --dirty)" "$size" >"$out" <<'EOF'
import statistics, sys
rows = [l.split(" | ") for l in open(sys.argv[1]).read().splitlines()]
size, loads, stamp, rev, label = int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
s3 = [(float(r[0].split()[1]), int(r[0].split()[2])) for r in rows]
loc = [(float(r[1].split()[1]), int(r[1].split()[2])) for r in rows]
cu = [float(r[2].split()[1]) for r in rows]
med = statistics.median
print(f"# s3 benchmark, {stamp}, StateLab {rev}\n")
print(f"{len(rows)} counted rounds after 1 warm-up, in turns (s3, local, curl); SST {label} ({size} bytes); load average per round: {loads}\n")
print("| what | wall s, median (min–max) | peak RSS MiB, median | ratio to curl download + upload, median of pairs |")
print("|---|---:|---:|---:|")
def row(name, xs, rss=None):
    walls = [x[0] if isinstance(x, tuple) else x for x in xs]
    ratio = med([w / c for w, c in zip(walls, cu)])
    r = f"{med([x[1] for x in xs]) / 1024:.0f}" if rss else "–"
    print(f"| {name} | {med(walls):.2f} ({min(walls):.2f}–{max(walls):.2f}) | {r} | **{ratio:.2f}×** |")
row("`swap-sst s3://bench/input.sst` (the parts of the SST it reads fetched, rewrite, backup and result made in the store from the changed ranges)", s3, True)
row("`swap-sst FILE` on local disk", loc, True)
row("curl GET + curl PUT of the object", cu)
sent = sorted(int(r[3].split()[0]) for r in rows)
got = sorted(int(r[3].split()[1]) for r in rows)
print(f"\nBytes moved per s3 run: {got[0]}–{got[-1]} of the SST down (swap-sst's bytesFetched), {sent[0]}–{sent[-1]} up (its bytesWritten), the rest copied inside the store; curl: {size} down, {size} up.")
EOF
cat "$out"
