#!/usr/bin/env bash
# Two revisions of swap-sst side by side in one run, in turns (ab.py): the start-up work of one session against the
# revision before it, on what goal 3 and goal 1 time and on the floor. run.sh compares swap-sst with other tools; its
# figures move with the machine from one run to the next (the C++ rewrite took 1.97 s in one run and 3.22 s in
# another), so a change is measured here, against its own "before", in the same minutes.
#
#   bench/sst-engine/startup-ab.sh NEW_REV OLD_REV [RUNS]      (default RUNS 11)
#
# Each revision runs from its own `git archive` snapshot (bench/snapshot.sh) with its own launcher, kept command
# line and class-data archive, on its own copies of the inputs run.sh generated (bench/work/sst-engine/flink-*.sst).
# Writes results/<UTC time>-startup-ab.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$root/bench/work/sst-engine"
new_rev=${1:?usage: startup-ab.sh NEW_REV OLD_REV [RUNS]}
old_rev=${2:?usage: startup-ab.sh NEW_REV OLD_REV [RUNS]}
runs=${3:-11}
. "$here/../snapshot.sh"
snapshot "$root" "$work" "$new_rev"
new_co=$co new_desc=$checkout
snapshot "$root" "$work" "$old_rev"
old_co=$co old_desc=$checkout
for f in flink-100MiB.sst flink-1GiB.sst; do
  [ -s "$work/$f" ] || { echo "startup-ab.sh: no $work/$f: run bench/sst-engine/run.sh once" >&2; exit 1; }
done
for side in new old; do
  cp "$work/flink-100MiB.sst" "$work/ab-$side-100MiB.sst"
  cp "$work/flink-1GiB.sst" "$work/ab-$side-1GiB.sst"
  rm -f "$work"/ab-"$side"-*.flip
done
# each side's launcher: JBang's build, then the run that lists its classes, then the one that writes the archive
for co in "$new_co" "$old_co"; do
  for _ in 1 2 3; do (cd "$co" && ./jbang swap-sst --version >/dev/null 2>&1); done
done

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$here/results/$stamp-startup-ab.md"
# one swap-sst run: the value flips between 00.. and 01.. from run to run, as in run.sh
one() { # CHECKOUT FILE ARGS...
  local co=$1 f=$2
  shift 2
  printf '%s' "cd $co && if [ -e $f.flip ]; then rm $f.flip; v=0000000000000000; else touch $f.flip; v=0101010101010101; fi; exec ./jbang swap-sst $* --value \$v --json $f >/dev/null 2>&1"
}
{
  echo "# swap-sst start-up, $new_rev (A) against $old_rev (B), $stamp"
  echo
  echo "- A: $new_desc"
  echo "- B: $old_desc"
  echo "- machine: $(nproc) cores, $(java -version 2>&1 | head -n 1), load average before $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- timer: bench/sst-engine/ab.py, $runs counted runs of each in turn after 1 warm-up run of each; whole processes"
  for c in "--version (the floor)||" \
    "in-place on 1 GiB (goal 3)|1GiB|--in-place --mode same-size" \
    "--mode block on 100 MiB (goal 1)|100MiB|--mode block"; do
    IFS='|' read -r what size args <<<"$c"
    echo
    echo "## $what"
    echo
    echo '```'
    if [ -z "$size" ]; then
      "$here/ab.py" -n "$runs" --vs "sh -c 'cd $old_co && exec ./jbang swap-sst --version'" -- \
        sh -c "cd $new_co && exec ./jbang swap-sst --version"
    else
      # shellcheck disable=SC2086 # args is a list of options
      "$here/ab.py" -n "$runs" --vs "sh -c '$(one "$old_co" "$work/ab-old-$size.sst" $args)'" -- \
        sh -c "$(one "$new_co" "$work/ab-new-$size.sst" $args)"
    fi
    echo '```'
  done
  echo
  echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$out"
echo "startup-ab.sh: $out" >&2
