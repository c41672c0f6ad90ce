# Sourced by the benchmarks' run.sh: which StateLab a benchmark runs.
#
#   snapshot ROOT WORK REV   REV non-empty: StateLab as committed at REV, from a `git archive` snapshot in
#                            WORK/checkout-<sha>/ (made once; others edit scripts/ while a benchmark runs, and a
#                            snapshot is never rebuilt or broken mid-run). REV empty: the working tree ROOT.
# Sets co (the directory to run in) and checkout (what it is, for the results).
snapshot() {
  local root=$1 work=$2 rev=$3 sha
  if [ -n "$rev" ]; then
    sha=$(git -C "$root" rev-parse --short=12 "$rev^{commit}")
    co="$work/checkout-$sha"
    if [ ! -f "$co/.complete" ]; then
      rm -rf "$co" && mkdir -p "$co"
      git -C "$root" archive "$sha" | tar -x -C "$co"
      touch "$co/.complete"
    fi
    checkout="commit $sha ($(git -C "$root" log -1 --format='%cI' "$sha")), from a git archive snapshot"
  else
    co=$root
    checkout="working tree at $(git -C "$root" rev-parse --short=12 HEAD)$(git -C "$root" diff --quiet HEAD -- scripts || echo ', with uncommitted changes in scripts/')"
  fi
}
