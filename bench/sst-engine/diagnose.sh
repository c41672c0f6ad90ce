#!/usr/bin/env bash
# Where swap-sst spends its time and memory (README.md beside this file, "Where it goes").
#
#   bench/sst-engine/diagnose.sh [--rev REV | --worktree] [--sizes "100MiB 1GiB 4GiB"] [--repeat 3]
#
# Runs the JVM exactly as ./jbang starts swap-sst (the options and CDS archive of `./jbang info tools`, the
# classpath of `./jbang info classpath`) on bench/work/sst-engine/sw-SIZE.sst and ip-SIZE.sst (copies of the
# inputs run.sh generates, copied afresh), for `--mode block` and for `--in-place --mode same-size` (when swap-sst
# has it); the runs alternate --value 01.. and 00.. so that each one changes the stored value. Each repetition
# runs twice:
#  1. under strace -f -ttt -T, tracing only execve, openat, unlink, sendfile, fsync, rename, pwrite64 (through
#     seccomp, so the rest runs at full speed); the phases are cut at the command's own system calls:
#       JVM + CLI set-up . exec until the first thing done about the SST: opening it, a temporary file beside it
#                          (block) or rocksdbjni's musl check (`sh -c "ldd /usr/bin/env | grep -q musl"`)
#       inspect .......... until the engine opens the SST itself (SstFile.inspect; up to eb317f9 through RocksDB:
#                          the musl check, librocksdbjni extracted to /tmp and loaded, SstFileReader reads the
#                          properties; since, the block engine reads the properties block itself)
#       read index ....... until the output is opened: block: its new file created; in-place: the SST opened
#                          read-write (the index read: up to 90aa855 decoded whole, one Java object per data
#                          block, then kept as bytes; since 1f30327 streamed; the last block decoded, re-encoded)
#       block:    copy raw (the sendfile of the untouched blocks), re-encode (until the fsync), fsync, rename
#                 (over the original, which frees the old file's pages and blocks)
#       in-place: patch (undo record written and synced, the changed block written and synced, undo removed)
#       JSON + exit ...... until the process has exited
#  2. with -Xlog:class+load (to time the JVM's start until swap-sst's main class), -Xlog:gc and Native Memory
#     Tracking (summary at exit), under GNU time for the peak RSS.
# Then wall-clock profiles of the main thread for --version, a 1 GiB block rewrite and a 1 GiB in-place patch
# (async-profiler 2.9 from ~/.m2, when it is there), and the block engine's own phase millis through
# bench/blockcopy/BlockCopy.java (the same BlockRewriter, no inspect, no rename). Prints Markdown; run.sh does
# not call it.
set -euo pipefail
here=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$root/bench/work/sst-engine"
rev=HEAD
sizes="100MiB 1GiB 4GiB"
repeat=3
while [ $# -gt 0 ]; do
  case "$1" in
    --rev) rev=$2; shift 2 ;;
    --worktree) rev=""; shift ;;
    --sizes) sizes=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    -h|--help) sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "diagnose.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
command -v strace >/dev/null || { echo "diagnose.sh: needs strace (apt-get install -y strace)" >&2; exit 1; }
if [ -n "$rev" ]; then
  sha=$(git -C "$root" rev-parse --short=12 "$rev^{commit}")
  co="$work/checkout-$sha"
  if [ ! -f "$co/.complete" ]; then
    rm -rf "$co" && mkdir -p "$co" && git -C "$root" archive "$sha" | tar -x -C "$co" && touch "$co/.complete"
  fi
  what="commit $sha"
else
  co=$root
  what="working tree at $(git -C "$root" rev-parse --short=12 HEAD)"
fi
cd "$co"
./jbang swap-sst --version >/dev/null 2>&1 # built, CDS archive written
cp_swap=$(./jbang info classpath scripts/SwapSst.java 2>/dev/null)
mapfile -t opts < <(./jbang info tools scripts/SwapSst.java 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
print("\n".join(d.get("runtimeOptions", [])))
if d.get("applicationJsa"): print("-XX:SharedArchiveFile=" + d["applicationJsa"])')
in_place=no
./jbang swap-sst --help 2>/dev/null | grep -q -- '--in-place' && in_place=yes
d="$work/diag"
rm -rf "$d" && mkdir -p "$d"

# case KIND SIZE: KIND block or inplace; writes $d/KIND-SIZE-I.{strace,time,gc,classes,out}
run_case() {
  local kind=$1 size=$2 f args
  case "$kind" in
    block) f="$work/sw-$size.sst" ;;
    inplace) f="$work/ip-$size.sst" ;;
  esac
  cp "$work/flink-$size.sst" "$f" # known values; then every run flips them (00.. / 01..), so that each run changes
  rm -f "$d/$kind-$size.flip"      # the stored value (a value set to what it is changes nothing since 663aa30)
  cat "$f" > /dev/null
  for i in $(seq 1 "$repeat"); do
    for pass in strace memory; do
      if [ -f "$d/$kind-$size.flip" ]; then rm "$d/$kind-$size.flip"; args=(--value 0000000000000000);
      else touch "$d/$kind-$size.flip"; args=(--value 0101010101010101); fi
      case "$kind" in
        block) args+=(--mode block --json "$f") ;;
        inplace) args+=(--in-place --mode same-size --json "$f") ;;
      esac
      if [ "$pass" = strace ]; then
        strace -f --seccomp-bpf -ttt -T -e trace=execve,openat,unlink,sendfile,fsync,rename,pwrite64 \
          -o "$d/$kind-$size-$i.strace" java "${opts[@]}" -cp "$cp_swap" statelab.SwapSst "${args[@]}" \
          > "$d/$kind-$size-$i.json" 2>&1
      else
        /usr/bin/time -f '%e %U %S %M' -o "$d/$kind-$size-$i.time" java "${opts[@]}" \
          "-Xlog:class+load:file=$d/$kind-$size-$i.classes:uptime" "-Xlog:gc:file=$d/$kind-$size-$i.gc:uptime" \
          -XX:NativeMemoryTracking=summary -XX:+UnlockDiagnosticVMOptions -XX:+PrintNMTStatistics \
          -cp "$cp_swap" statelab.SwapSst "${args[@]}" > "$d/$kind-$size-$i.out" 2>&1
      fi
    done
  done
}

summarize() { # KIND SIZE FILE: one table row
  python3 - "$d" "$1" "$2" "$repeat" "$3" <<'PY'
import os, re, statistics, sys
d, kind, size, repeat, sst = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
base = os.path.basename(sst)
line_re = re.compile(r"^(\d+) +([\d.]+) (?:<\.\.\. (\w+) resumed>|(\w+)\()(.*?)(?: <([\d.]+)>)?$")
cols = {}
def add(k, v):
    cols.setdefault(k, []).append(v)
for i in range(1, repeat + 1):
    p = "%s/%s-%s-%d" % (d, kind, size, i)
    calls, pending, first, exited = [], {}, None, None
    for line in open(p + ".strace"):
        parts = line.split()
        if first is None:
            first = float(parts[1])
        if "+++ exited" in line:
            exited = float(parts[1])
            continue
        m = line_re.match(line.rstrip("\n"))
        if not m:
            continue
        pid, t, resumed, name, rest, dur = m.groups()
        if resumed:
            start = pending.pop((pid, resumed), None)
            if start is not None:
                calls.append((start[0], resumed, start[1], float(dur or 0)))
        elif "<unfinished ...>" in rest:
            pending[(pid, name)] = (float(t), rest)
        else:
            calls.append((float(t), name, rest, float(dur or 0)))
    calls.sort()
    touches = [c for c in calls if (c[1] == "openat" and base in c[2]) or (c[1] == "execve" and '"sh"' in c[2] and "musl" in c[2])]
    setup_end = touches[0][0]
    if kind == "block":
        out = next(c for c in calls if c[1] == "openat" and ".tmp" in c[2] and "O_EXCL, 0666" in c[2])
    else:
        out = next(c for c in calls if c[1] == "openat" and '/%s"' % base in c[2] and "O_RDWR" in c[2])
    engine = [c for c in calls if c[1] == "openat" and '/%s"' % base in c[2] and "O_CLOEXEC" not in c[2]
              and "O_RDWR" not in c[2] and c[0] < out[0]][-1]
    add("setup", setup_end - first)
    add("inspect", engine[0] - setup_end)
    add("index", out[0] - engine[0])
    if kind == "block":
        send = [c for c in calls if c[1] == "sendfile"][-1]  # one call moves at most 2 GiB: the last one ends the copy
        fs = max((c for c in calls if c[1] == "fsync"), key=lambda c: c[3])
        ren = next(c for c in calls if c[1] == "rename")
        add("copy", send[0] + send[3] - out[0])
        add("reencode", fs[0] - (send[0] + send[3]))
        add("fsync", fs[3])
        add("rename", ren[0] + ren[3] - (fs[0] + fs[3]))
        done = ren[0] + ren[3]
    else:
        undo_gone = [c for c in calls if c[1] == "unlink" and "statelab-undo" in c[2]]
        later = [c for c in calls if c[1] == "fsync" and undo_gone and c[0] >= undo_gone[-1][0]]
        done = (later[0][0] + later[0][3]) if later else (undo_gone[-1][0] + undo_gone[-1][3])
        add("patch", done - out[0])
    if '"bytesWritten":0,' in open(p + ".json").read() or '"bytesWritten":0}' in open(p + ".json").read():
        add("nowrite", 1)
    add("exit", exited - done)
    add("swall", exited - first)
    wall, user, sys_, rss = open(p + ".time").read().split()[-4:]
    add("wall", float(wall)); add("cpu", float(user) + float(sys_)); add("rss", int(rss) / 1024)
    main = next((float(m.group(1)) for m in (re.match(r"\[([\d.]+)s\] statelab\.SwapSst ", l) for l in open(p + ".classes")) if m), 0)
    add("jvm", main)
    gc = open(p + ".gc").read()
    add("gc", sum(float(x) for x in re.findall(r"([\d.]+)ms$", gc, re.M)) / 1000)
    after = [int(x) for x in re.findall(r"->(\d+)M\(", gc)]
    add("after", after[-1] if after else 0)
    out_txt = open(p + ".out").read()
    heap = re.search(r"Java Heap \(reserved=\d+, committed=(\d+)\)", out_txt)
    total = re.search(r"Total: reserved=\d+, committed=(\d+)", out_txt)
    add("heap", int(heap.group(1)) / 1e6 if heap else 0)
    add("nmt", int(total.group(1)) / 1e6 if total else 0)
m = {k: statistics.median(v) for k, v in cols.items()}
write = ["copy", "reencode", "fsync", "rename"] if kind == "block" else ["patch"]
cells = ["%.2f" % m["swall"], "%.2f" % m["setup"], "%.2f" % m["jvm"], "%.2f" % m["inspect"], "%.2f" % m["index"]]
cells += ["%.2f" % m[k] for k in write] + ["%.2f" % m["exit"], "%.2f" % m["wall"], "%.2f" % m["cpu"], "%.2f" % m["gc"],
          "%.0f" % m["after"], "%.0f" % m["heap"], "%.0f" % m["nmt"], "%.0f" % m["rss"]]
print("| %s | %s |" % (size, " | ".join(cells)) + (" (%d runs patched nothing!)" % len(cols["nowrite"]) if "nowrite" in cols else ""))
PY
}

echo "## Where the time and memory go: $what, $(date -u +%Y-%m-%dT%H:%M:%SZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "JVM: java ${opts[*]} -cp <swap-sst's classpath> statelab.SwapSst ARGS (+ diagnostics)."
echo "Seconds, medians of $repeat runs; phases cut at the command's own system calls (diagnose.sh says which);"
echo "'of which JVM start' is JVM uptime when swap-sst's main class loaded; memory from the runs without strace."
echo
mem_head="JSON + exit | wall (no strace) | CPU s | GC pauses s | heap after last GC MB | heap committed MB | NMT committed MB | peak RSS MiB |"
echo "**--mode block** (temporary file + rename):"
echo
echo "| size | wall (strace) | JVM + CLI set-up | of which JVM start | inspect | read index | copy raw | re-encode | fsync | rename | $mem_head"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for size in $sizes; do
  run_case block "$size"
  summarize block "$size" "$work/sw-$size.sst"
done
echo
if [ "$in_place" = yes ]; then
  echo "**--in-place --mode same-size** (undo record, then the changed block written into the SST):"
  echo
  echo "| size | wall (strace) | JVM + CLI set-up | of which JVM start | inspect | read index | patch | $mem_head"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for size in $sizes; do
    [ "$size" = 100MiB ] && continue
    run_case inplace "$size"
    summarize inplace "$size" "$work/ip-$size.sst"
  done
else
  echo "(--in-place: this swap-sst has none.)"
fi
echo
echo "GC log of the last run of each:"
echo
echo '```'
for f in "$d"/*-"$repeat".gc; do echo "$(basename "$f" "-$repeat.gc"):"; sed 's/^/  /' "$f"; done
echo '```'
for kind in block inplace; do
  s="$d/$kind-1GiB-$repeat.strace"
  [ -f "$s" ] || continue
  echo
  echo "System calls of the last 1 GiB $kind run (the command's main events; seconds since exec; paths shortened):"
  echo
  echo '```'
  awk 'NR == 1 { t0 = $2 } { printf "+%.3f %s\n", $2 - t0, $0 }' "$s" \
    | grep -E 'execve\("/usr/bin/java|librocksdbjni[0-9]*\.so", O_WRONLY|execve\("/usr/bin/sh|[si][wp]-1GiB\.sst|sendfile|fsync|rename|pwrite64' \
    | grep -v -E 'ENOENT|, 262144, [0-9]+\)|, 262144, [0-9]+ <unfinished|pwrite64 resumed' | sed -E 's/^(\+[0-9.]+) [0-9]+ +[0-9.]+ /\1 /; s#/[^" ]*/##g' | cut -c1-150
  awk 'NR == 1 { t0 = $2 } /exited with/ { last = $2 } END { printf "+%.3f exited\n", last - t0 }' "$s"
  echo '```'
done
# ---- wall-clock profiles of the main thread (async-profiler 2.9 from the local Maven repository, if there) ------
ap_jar=$(ls "$HOME"/.m2/repository/tools/profiler/async-profiler/2.9/async-profiler-2.9.jar 2>/dev/null || true)
echo
if [ -n "$ap_jar" ]; then
  unzip -o -q -j "$ap_jar" linux-x64/libasyncProfiler.so -d "$d"
  echo "Wall-clock profiles of the main thread (async-profiler 2.9, event=wall, 2 ms; one run each; inclusive share of"
  echo "the main thread's samples, selected frames; the profiler itself slows the run):"
  for what in version block-1GiB inplace-1GiB; do
    case "$what" in
      version) args=(--version) ;;
      block-1GiB) args=(--mode block --value 0202020202020202 --json "$work/sw-1GiB.sst"); cat "$work/sw-1GiB.sst" > /dev/null ;;
      inplace-1GiB) [ "$in_place" = yes ] || continue
        args=(--in-place --mode same-size --value 0202020202020202 --json "$work/ip-1GiB.sst") ;;
    esac
    java "${opts[@]}" "-agentpath:$d/libasyncProfiler.so=start,event=wall,interval=2ms,threads,collapsed,file=$d/profile-$what.txt" \
      -cp "$cp_swap" statelab.SwapSst "${args[@]}" > /dev/null 2>&1
    echo
    echo '```'
    echo "$what: swap-sst ${args[*]}"
    python3 - "$d/profile-$what.txt" <<'PY'
import collections, re, sys
keep = re.compile(r"statelab/|picocli/CommandLine\.(<init>|execute)$|jackson/databind/ObjectMapper\.(<clinit>|writeValueAsString)$"
                  r"|SnappyLoader\.loadNativeLibrary$|ClassLoader\.loadClass$|FileChannelImpl\.(transferTo|force)$"
                  r"|UnixNativeDispatcher\.rename$|LongHashFunction\.hashBytes$|Snappy\.(rawUncompress|uncompress|compress|rawCompress)$")
total, inc = 0, collections.Counter()
for line in open(sys.argv[1]):
    stack, n = line.rsplit(" ", 1)
    frames = stack.split(";")
    if not frames[0].startswith("[main"):
        continue
    total += int(n)
    for f in {f.split("(")[0] for f in frames}:
        if keep.search(f):
            inc[f] += int(n)
print("main thread: %d samples (%.2f s)" % (total, total * 0.002))
for f, n in inc.most_common(22):
    print("%5.1f%%  %s" % (100.0 * n / total, f))
PY
    echo '```'
  done
else
  echo "(No wall-clock profiles: async-profiler 2.9 is not in ~/.m2; mvn dependency:get -Dartifact=tools.profiler:async-profiler:2.9 fetches it.)"
fi

rm -f "$work/ip-4GiB.sst" # only this script uses it; 4 GiB less in the page cache
echo
echo "The block engine's own phases (bench/blockcopy/BlockCopy.java --json IN OUT: the same BlockRewriter, no inspect, no rename), ms:"
echo
echo '```'
if ! ./jbang build bench/blockcopy/BlockCopy.java > "$d/bc-build.txt" 2>&1; then
  echo "bench/blockcopy/BlockCopy.java does not build at this commit:"
  grep -m 3 -E 'error:|required:|found:' "$d/bc-build.txt" | sed -E 's#^/[^ ]*/bench/#bench/#'
  sizes=""
fi
for size in $sizes; do
  cat "$work/flink-$size.sst" > /dev/null
  for i in $(seq 1 "$repeat"); do
    rm -f "$d/bc-$size.out.sst"
    /usr/bin/time -f 'wall %e s, peak RSS %M KiB' -o "$d/bc-time" ./jbang bench/blockcopy/BlockCopy.java --json \
      "$work/flink-$size.sst" "$d/bc-$size.out.sst" 2>/dev/null | python3 -c '
import json, sys
r = json.loads(sys.stdin.read())
print(sys.argv[1], r["millis"], end=", ")' "$size"
    cat "$d/bc-time"
  done
  rm -f "$d/bc-$size.out.sst"
done
echo '```'
