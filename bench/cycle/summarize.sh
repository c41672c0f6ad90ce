#!/usr/bin/env bash
# Summarizes one run of bench/cycle/run.sh as Markdown: per-variant wall times (median, min, max), the ratios
# against the goal (StateLab ≤ 0.4 × the CLI), per-step medians and the process start-up probes.
# Warm-up runs (rep w1, w2, ...) and runs in which jbang rebuilt a script (rebuilt = yes) are left out.
#
# Usage: bench/cycle/summarize.sh bench/cycle/results/<time>   (run.sh calls it and writes summary.md)
set -u -o pipefail

dir=${1:?usage: summarize.sh RESULTS_DIR}
[ -f "$dir/runs.tsv" ] || { echo "summarize.sh: no $dir/runs.tsv" >&2; exit 2; }
GOAL=${GOAL:-0.4}

# Shared awk helpers: sort a 1-based array in place (n is small), median of a sorted array.
AWK_LIB='
function isort(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
function median(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function name(v) { return v == "a" ? "statelab-pipeline" : v == "b" ? "statelab-experiment" : v == "c" ? "cli-seed-sleeps" : v == "d" ? "cli-poll" : v == "e" ? "cli-poll-curl" : v }
'

echo "# Full-cycle benchmark: $(basename "$dir")"
echo
echo '```'
cat "$dir/env.txt"
echo '```'
echo
echo "## Wall time per cycle (timed runs only; seconds)"
echo
echo "client CPU: user + sys time of the processes the variant started (not the cluster's); load: 1-minute load"
echo "average when the run began (2 cores; other people's work included)."
echo
awk -F'\t' "$AWK_LIB"'
NR == 1 || $1 ~ /^w/ || $9 != "no" { next }
{
  v = $3; if (!(v in n)) order[++nv] = v
  n[v]++; t[v, n[v]] = $4 / 1000; c[v, n[v]] = $5 / 1000; l[v, n[v]] = $6
  verdicts[v] = verdicts[v] (verdicts[v] == "" ? "" : " ") $8; exits[v] = exits[v] (exits[v] == "" ? "" : " ") $7
}
END {
  print "| variant | n | median | min | max | spread (max-min)/median | client CPU median | load median | verdicts | exit codes |"
  print "|---|---|---|---|---|---|---|---|---|---|"
  for (k = 1; k <= nv; k++) {
    v = order[k]; m = n[v]
    delete s; for (i = 1; i <= m; i++) s[i] = c[v, i]; isort(s, m); cpu = median(s, m)
    delete s; for (i = 1; i <= m; i++) s[i] = l[v, i]; isort(s, m); load = median(s, m)
    delete s; for (i = 1; i <= m; i++) s[i] = t[v, i]; isort(s, m); med = median(s, m)
    cnt = split(verdicts[v], vv, " "); ok = 0
    for (i = 1; i <= cnt; i++) if (vv[i] == "RESTORE_FAILED") ok++
    printf "| %s %s | %d | %.2f | %.2f | %.2f | %.0f%% | %.2f | %.1f | %d/%d RESTORE_FAILED | %s |\n", v, name(v), m, med, s[1], s[m], 100 * (s[m] - s[1]) / med, cpu, load, ok, cnt, exits[v]
  }
}' "$dir/runs.tsv"

echo
echo "## Ratios against the goal (StateLab time ÷ CLI time ≤ $GOAL)"
echo
echo "Ratio of medians, and the median (min–max) of the per-repetition ratios (both variants of a pair ran in the"
echo "same repetition, minutes apart)."
echo
awk -F'\t' -v goal="$GOAL" "$AWK_LIB"'
NR == 1 || $1 ~ /^w/ || $9 != "no" { next }
{ t[$1, $3] = $4; reps[$1] = 1; have[$3] = 1; n[$3]++; all[$3, n[$3]] = $4 }
END {
  print "| pair | ratio of medians | per-rep ratio: median (min–max) | goal ≤ " goal " | StateLab would need |"
  print "|---|---|---|---|---|"
  split("a c|a d|a e|b c|b d|b e", pairs, "|")
  for (p = 1; p <= 6; p++) {
    split(pairs[p], ab, " "); x = ab[1]; y = ab[2]
    if (!(x in have) || !(y in have)) continue
    delete s; for (i = 1; i <= n[x]; i++) s[i] = all[x, i]; isort(s, n[x]); mx = median(s, n[x])
    delete s; for (i = 1; i <= n[y]; i++) s[i] = all[y, i]; isort(s, n[y]); my = median(s, n[y])
    delete r; m = 0
    for (rep in reps) if ((rep, x) in t && (rep, y) in t) r[++m] = t[rep, x] / t[rep, y]
    isort(r, m)
    verdict = mx / my <= goal ? "met" : sprintf("missed by %.2f×", (mx / my) / goal)
    printf "| %s/%s (%s ÷ %s) | %.2f | %.2f (%.2f–%.2f) | %s | ≤ %.2f s (now %.2f s) |\n", x, y, name(x), name(y), mx / my, median(r, m), r[1], r[m], verdict, goal * my / 1000, mx / 1000
  }
}' "$dir/runs.tsv"

echo
echo "## Where the time goes: per-step medians (seconds; min–max)"
echo
echo "a: time from the previous stage's end to this stage's end (all four JVMs start at once in a pipe)."
echo "b: the step times experiment measures itself; outside-steps = wall - their sum (launcher, JVM start, jbang)."
echo "c, d, e: each command or sleep, in order."
echo
awk -F'\t' "$AWK_LIB"'
FILENAME == ARGV[1] { if (FNR > 1 && $1 !~ /^w/ && $9 == "no") clean[$1, $3] = 1; next }
FNR == 1 || !(($1, $2) in clean) { next }
{
  v = $2; st = $3; if (!(v in nst)) vorder[++nv] = v
  if (!((v, st) in cnt)) { nst[v]++; sorder[v, nst[v]] = st }
  cnt[v, st]++; val[v, st, cnt[v, st]] = $4 / 1000
}
END {
  for (k = 1; k <= nv; k++) {
    v = vorder[k]; line = "- **" v " " name(v) "**: "
    for (j = 1; j <= nst[v]; j++) {
      st = sorder[v, j]; m = cnt[v, st]; delete s
      for (i = 1; i <= m; i++) s[i] = val[v, st, i]
      isort(s, m)
      line = line (j > 1 ? ", " : "") sprintf("%s %.2f (%.2f–%.2f)", st, median(s, m), s[1], s[m])
    }
    print line
  }
}' "$dir/runs.tsv" "$dir/steps.tsv"

if [ -f "$dir/probes.tsv" ]; then
  echo
  echo "## Process start-up probes (milliseconds; alternated, not part of any cycle; CPU = user + sys)"
  echo
  awk -F'\t' "$AWK_LIB"'
  NR == 1 { next }
  { p = $2; if (!(p in n)) order[++np] = p; n[p]++; t[p, n[p]] = $3; c[p, n[p]] = $4 }
  END {
    print "| probe | n | wall median | wall min | wall max | CPU median |"
    print "|---|---|---|---|---|---|"
    for (k = 1; k <= np; k++) {
      p = order[k]; m = n[p]
      delete s; for (i = 1; i <= m; i++) s[i] = c[p, i]; isort(s, m); cpu = median(s, m)
      delete s; for (i = 1; i <= m; i++) s[i] = t[p, i]; isort(s, m)
      printf "| %s | %d | %d | %d | %d | %s |\n", p, m, median(s, m), s[1], s[m], cpu == "" ? "-" : sprintf("%d", cpu)
    }
  }' "$dir/probes.tsv"
fi

if [ -f "$dir/cli-phases.tsv" ]; then
  echo
  echo "## Inside the Flink CLI: phases from its own log (milliseconds; every CLI call of the run, warm-up and probes included)"
  echo
  awk -F'\t' "$AWK_LIB"'
  NR == 1 { next }
  { k = $2 " " $3; if (!(k in n)) order[++nk] = k; n[k]++; t[k, n[k]] = $4 }
  END {
    print "| command phase | n | median | min | max |"
    print "|---|---|---|---|---|"
    for (j = 1; j <= nk; j++) {
      k = order[j]; m = n[k]; delete s
      for (i = 1; i <= m; i++) s[i] = t[k, i]
      isort(s, m)
      printf "| %s | %d | %d | %d | %d |\n", k, m, median(s, m), s[1], s[m]
    }
  }' "$dir/cli-phases.tsv"
fi

echo
echo "## Runs"
echo
echo '```'
column -t -s $'\t' "$dir/runs.tsv" 2>/dev/null || cat "$dir/runs.tsv"
echo '```'
