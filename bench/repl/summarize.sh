#!/usr/bin/env bash
# Summarizes one run of bench/repl/run.sh as Markdown: medians, min–max and ratios of the three parts (savepoint,
# cycle, help), against the goals (REPL overhead per savepoint ≤ 50 ms beyond Flink's own savepoint duration; REPL
# cycle ≤ 0.3 × the polling CLI cycle; warm --help ≤ 0.5 s). Warm-up runs (rep w1, ...) and runs in which jbang
# rebuilt a script are left out.
#
# Usage: bench/repl/summarize.sh bench/repl/results/<time>   (run.sh calls it and writes summary.md)
set -u -o pipefail

dir=${1:?usage: summarize.sh RESULTS_DIR}
[ -f "$dir/env.txt" ] || { echo "summarize.sh: no $dir/env.txt" >&2; exit 2; }
GOAL_SP_MS=${GOAL_SP_MS:-50}
GOAL_CYCLE=${GOAL_CYCLE:-0.3}
GOAL_HELP_MS=${GOAL_HELP_MS:-500}

# Shared awk helpers (mawk-compatible): insertion sort of a 1-based array, median, "median (min–max)".
AWK_LIB='
function isort(a, n,   i, j, t) { for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t } }
function median(a, n) { return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
function mmm(a, n, fmt) { if (n == 0) return "-"; isort(a, n); return sprintf(fmt " (" fmt "–" fmt ")", median(a, n), a[1], a[n]) }
function med(a, n) { if (n == 0) return ""; isort(a, n); return median(a, n) }
'

echo "# REPL benchmark: $(basename "$dir")"
echo
echo '```'
cat "$dir/env.txt"
echo '```'
echo
echo "Whole-process wall times are from the harness's clock (bash \`\$EPOCHREALTIME\`), client CPU is user + sys of"
echo "the processes a run started (bash \`times\`), load is the 1-minute load average when the run began (2 cores,"
echo "other people's builds included). Figures are \"median (min–max)\" over the timed repetitions."

# -----------------------------------------------------------------------------------------------------------------
if [ -f "$dir/savepoint-runs.tsv" ]; then
  echo
  echo "## 1. Savepoints of one running job"
  echo
  echo "### Per process"
  echo
  awk -F'\t' "$AWK_LIB"'
  NR == 1 || $1 ~ /^w/ || $9 != "no" { next }
  { v = $3; if (!(v in n)) order[++nv] = v; n[v]++; w[v, n[v]] = $4; c[v, n[v]] = $5; l[v, n[v]] = $6; sp[v, n[v]] = $8
    ex[v] = ex[v] (ex[v] == "" ? "" : " ") $7; tl[v, n[v]] = $10 }
  END {
    print "| variant | runs | wall ms | client CPU ms | load | savepoints per run | exit codes | JVM exit after last result, ms |"
    print "|---|---|---|---|---|---|---|---|"
    for (k = 1; k <= nv; k++) {
      v = order[k]; m = n[v]
      delete a; for (i = 1; i <= m; i++) a[i] = w[v, i]; W = mmm(a, m, "%d")
      delete a; for (i = 1; i <= m; i++) a[i] = c[v, i]; C = mmm(a, m, "%d")
      delete a; for (i = 1; i <= m; i++) a[i] = l[v, i]; L = mmm(a, m, "%.1f")
      delete a; for (i = 1; i <= m; i++) a[i] = sp[v, i]; S = mmm(a, m, "%d")
      delete a; t = 0; for (i = 1; i <= m; i++) if (tl[v, i] != "") a[++t] = tl[v, i]; T = mmm(a, t, "%d")
      printf "| %s | %d | %s | %s | %s | %s | %s | %s |\n", v, m, W, C, L, S, ex[v], T
    }
  }' "$dir/savepoint-runs.tsv"

  echo
  echo "### Per savepoint, against Flink's own duration"
  echo
  echo "client = what the user waits for one savepoint: for a REPL line, from the previous line's result (or the"
  echo "process start, for line 1) to this line's result on stdout; for the others, the whole process. Flink e2e ="
  echo "the savepoint's \`end_to_end_duration\` from REST \`/jobs/<id>/checkpoints\`. overhead = client − e2e, per savepoint."
  echo
  awk -F'\t' "$AWK_LIB"'
  FILENAME == ARGV[1] { if (FNR > 1 && $1 !~ /^w/ && $9 == "no" && $7 == 0) ok[$1, $3] = 1; next }
  FILENAME == ARGV[2] { if (FNR > 1) e2e[$2] = $3; next }
  FNR == 1 || !(($1, $2) in ok) { next }
  {
    g = $2 == "repl-N" ? ($3 == 1 ? "repl-N line 1 (with start-up)" : "repl-N lines 2.." ) : $2 == "repl-1" ? "repl-1 (one line)" : $2
    if (!(g in n)) order[++ng] = g
    n[g]++; cl[g, n[g]] = $5
    if ($4 in e2e) { ne[g]++; e[g, ne[g]] = e2e[$4]; o[g, ne[g]] = $5 - e2e[$4] } else miss[g]++
  }
  END {
    print "| what | savepoints | client ms | Flink e2e ms | overhead ms (client − e2e) | not found in Flink history |"
    print "|---|---|---|---|---|---|"
    for (k = 1; k <= ng; k++) {
      g = order[k]; m = n[g]
      delete a; for (i = 1; i <= m; i++) a[i] = cl[g, i]; C = mmm(a, m, "%.0f")
      delete a; for (i = 1; i <= ne[g]; i++) a[i] = e[g, i]; E = mmm(a, ne[g], "%.0f")
      delete a; for (i = 1; i <= ne[g]; i++) a[i] = o[g, i]; O = mmm(a, ne[g], "%.0f")
      printf "| %s | %d | %s | %s | %s | %d |\n", g, m, C, E, O, miss[g] + 0
    }
  }' "$dir/savepoint-runs.tsv" "$dir/checkpoints.tsv" "$dir/savepoint-lines.tsv"

  echo
  echo "### Goal: REPL overhead per savepoint ≤ $GOAL_SP_MS ms"
  echo
  nlines=$(awk -F'\t' 'NR > 1 && $1 !~ /^w/ && $3 == "repl-N" {print $8; exit}' "$dir/savepoint-runs.tsv")
  awk -F'\t' -v goal="$GOAL_SP_MS" -v NLINES="${nlines:-0}" "$AWK_LIB"'
  FILENAME == ARGV[1] { if (FNR > 1 && $1 !~ /^w/ && $9 == "no" && $7 == 0) { ok[$1, $3] = 1; wall[$1, $3] = $4; reps[$1] = 1 }; next }
  FILENAME == ARGV[2] { if (FNR > 1) { e2e[$2] = $3; trig[$2] = $4; ack[$2] = $5 }; next }
  FNR == 1 || !(($1, $2) in ok) { next }
  $2 == "repl-N" && $3 > 1 {
    n++; line[n] = $5; pre[n] = $6; wt[n] = $7; post[n] = $8
    if ($4 in e2e) { ne++; e[ne] = e2e[$4]; over[ne] = $5 - e2e[$4]; wmin[ne] = $7 - e2e[$4] }
    perrep[$1, ++pr[$1]] = $5
  }
  END {
    if (n == 0) { print "no timed repl-N lines"; exit }
    M = med(over, ne)
    printf "- REPL line (lines 2..N, %d savepoints): client %.0f ms, Flink e2e %.0f ms, **overhead %.0f ms** (median): goal %s.\n", \
      n, med(line, n), med(e, ne), M, M <= goal ? "**met**" : sprintf("**missed** (%.1f× the %d ms allowed)", M / goal, goal)
    printf "- Inside a line (medians): before the trigger (command set-up, POST trigger; before 0ad10de also a GET of the job) %.0f ms; trigger → completion seen %.0f ms (of which Flink e2e %.0f; the rest: Flink finishing the savepoint after its last ack, and the wait for the next status poll (from 0ad10de every 10 ms in the first second, before it 10 ms doubling to 100): see the timeline); completion → result printed (job record copied, files counted, REST client shut down) %.0f ms.\n", \
      med(pre, n), med(wt, n), med(e, ne), med(post, n)
    # 1 line vs N lines, per repetition
    nr = 0
    for (r in reps) if ((r, "repl-N") in wall && (r, "repl-1") in wall) {
      nr++; marg[nr] = (wall[r, "repl-N"] - wall[r, "repl-1"]) / (NLINES - 1); st[nr] = wall[r, "repl-1"] - marg[nr]
    }
    if (nr > 0 && NLINES > 1) printf "- 1 line vs %d lines, per repetition (%d): marginal cost of a line %s ms; the REPL process without its one savepoint (launcher, JVM, start-up, exit) %s ms.\n", \
      NLINES, nr, mmm(marg, nr, "%.0f"), mmm(st, nr, "%.0f")
    # against the one-process-per-savepoint variants, per repetition
    for (r in reps) if (pr[r] > 0) { delete a; for (i = 1; i <= pr[r]; i++) a[i] = perrep[r, i]; rl[r] = med(a, pr[r]) }
    split("script java cli", vs, " ")
    for (j = 1; j <= 3; j++) {
      v = vs[j]; q = 0; delete a
      for (r in rl) if ((r, v) in wall) a[++q] = rl[r] / wall[r, v]
      if (q > 0) printf "- REPL line ÷ %s (whole process), per repetition: %s.\n", v, mmm(a, q, "%.2f")
    }
  }' "$dir/savepoint-runs.tsv" "$dir/checkpoints.tsv" "$dir/savepoint-lines.tsv"

  echo
  echo "### Timeline of one savepoint (ms, median (min–max))"
  echo
  echo "On one clock: the harness's time stamps of each output line, and Flink's trigger_timestamp and latest_ack_timestamp"
  echo "(same host). start = the previous line's result (REPL lines 2..) or the process start; Flink triggers = the"
  echo "JobManager's checkpoint coordinator starts the savepoint; completion seen = StateLab's \"savepoint completed\" line."
  echo
  awk -F'\t' "$AWK_LIB"'
  FILENAME == ARGV[1] { if (FNR > 1 && $1 !~ /^w/ && $9 == "no" && $7 == 0) ok[$1, $3] = 1; next }
  FILENAME == ARGV[2] { if (FNR > 1) { tr[$2] = $4; ack[$2] = $5 }; next }
  FNR == 1 || !(($1, $2) in ok) || !($4 in tr) { next }
  {
    g = $2 == "repl-N" ? ($3 == 1 ? "repl-N line 1" : "repl-N lines 2..") : $2
    if (!(g in n)) order[++ng] = g
    m = ++n[g]
    a[g, m] = (tr[$4] * 1000 - $9) / 1000; b[g, m] = ack[$4] - tr[$4]
    if ($11 != "") { c[g, ++nc[g]] = ($11 - ack[$4] * 1000) / 1000; d[g, nc[g]] = ($12 - $11) / 1000 }
    else { cd[g, ++ncd[g]] = ($12 - ack[$4] * 1000) / 1000 }
    t[g, m] = ($12 - $9) / 1000
  }
  END {
    print "| what | savepoints | start → Flink triggers | Flink: trigger → last ack | last ack → completion seen | completion seen → result | last ack → result | start → result |"
    print "|---|---|---|---|---|---|---|---|"
    for (k = 1; k <= ng; k++) {
      g = order[k]; m = n[g]
      delete x; for (i = 1; i <= m; i++) x[i] = a[g, i]; A = mmm(x, m, "%.0f")
      delete x; for (i = 1; i <= m; i++) x[i] = b[g, i]; B = mmm(x, m, "%.0f")
      delete x; for (i = 1; i <= nc[g]; i++) x[i] = c[g, i]; C = mmm(x, nc[g], "%.0f")
      delete x; for (i = 1; i <= nc[g]; i++) x[i] = d[g, i]; D = mmm(x, nc[g], "%.0f")
      delete x; for (i = 1; i <= nc[g]; i++) x[i] = c[g, i] + d[g, i]; for (i = 1; i <= ncd[g]; i++) x[nc[g] + i] = cd[g, i]; CD = mmm(x, nc[g] + ncd[g], "%.0f")
      delete x; for (i = 1; i <= m; i++) x[i] = t[g, i]; T = mmm(x, m, "%.0f")
      printf "| %s | %d | %s | %s | %s | %s | %s | %s |\n", g, m, A, B, C, D, CD, T
    }
  }' "$dir/savepoint-runs.tsv" "$dir/checkpoints.tsv" "$dir/savepoint-lines.tsv"

  if [ -f "$dir/repl-dispatch.tsv" ] || [ -f "$dir/rest-probe.tsv" ]; then
    echo
    echo "### Where a REPL line's time goes (separate measurements)"
    echo
    [ -f "$dir/repl-dispatch.tsv" ] && awk -F'\t' "$AWK_LIB"'NR > 1 { a[++n] = $3 } END {
      printf "- A REPL line that fails in the command before any REST call (`savepoint not-a-job-id`: picocli builds the command, parses, calls, prints the error), %d lines: %s ms per line.\n", n, mmm(a, n, "%.1f") }' \
      "$dir/repl-dispatch.tsv"
    [ -f "$dir/rest-rtt.tsv" ] && awk -F'\t' "$AWK_LIB"'NR > 1 { a[++n] = $2 } END {
      printf "- One REST round trip from curl (GET /jobs/<id>), %d calls: %s ms.\n", n, mmm(a, n, "%.1f") }' "$dir/rest-rtt.tsv"
    [ -f "$dir/rest-probe.tsv" ] && awk -F'\t' "$AWK_LIB"'
    NR == 1 { next }
    { k = $1 " client, status polled every " $2 " ms"; if (!(k in n)) order[++nk] = k; n[k]++
      for (f = 4; f <= 10; f++) v[k, f, n[k]] = $f }
    END {
      print ""
      print "In one warm JVM (RestProbe.java: Flink'"'"'s RestClient set up as StateLab'"'"'s FlinkRest does; 10 savepoints after 3 not counted), ms:"
      print ""
      print "| probe | create client | GET job | POST trigger | trigger → complete | status polls | shut client down | total |"
      print "|---|---|---|---|---|---|---|---|"
      for (j = 1; j <= nk; j++) {
        k = order[j]; line = "| " k
        for (f = 4; f <= 10; f++) { delete a; for (i = 1; i <= n[k]; i++) a[i] = v[k, f, i]; line = line " | " mmm(a, n[k], f == 8 ? "%d" : "%.1f") }
        print line " |"
      }
    }' "$dir/rest-probe.tsv"
  fi
fi

# -----------------------------------------------------------------------------------------------------------------
if [ -f "$dir/cycle-runs.tsv" ]; then
  echo
  echo "## 2. The whole cycle (submit → savepoint → swap-sst → resume → verdict)"
  echo
  awk -F'\t' "$AWK_LIB"'
  NR == 1 || $1 ~ /^w/ { next }
  { v = $3; if (!(v in n)) order[++nv] = v; all[v]++; vd[v] = vd[v] (vd[v] == "" ? "" : " ") $8; ex[v] = ex[v] (ex[v] == "" ? "" : " ") $7 }
  $9 != "no" { rb[v]++; next }
  { n[v]++; w[v, n[v]] = $4 / 1000; c[v, n[v]] = $5 / 1000; l[v, n[v]] = $6 }
  END {
    print "| variant | runs | wall s | client CPU s | load | verdicts | exit codes | rebuilt (left out) |"
    print "|---|---|---|---|---|---|---|---|"
    for (k = 1; k <= nv; k++) {
      v = order[k]; m = n[v]
      delete a; for (i = 1; i <= m; i++) a[i] = w[v, i]; W = mmm(a, m, "%.2f")
      delete a; for (i = 1; i <= m; i++) a[i] = c[v, i]; C = mmm(a, m, "%.2f")
      delete a; for (i = 1; i <= m; i++) a[i] = l[v, i]; L = mmm(a, m, "%.1f")
      cnt = split(vd[v], x, " "); delete tally; list = ""
      for (i = 1; i <= cnt; i++) { if (!(x[i] in tally)) names[v, ++nn[v]] = x[i]; tally[x[i]]++ }
      for (i = 1; i <= nn[v]; i++) list = list (i > 1 ? ", " : "") tally[names[v, i]] "/" cnt " " names[v, i]
      printf "| %s | %d | %s | %s | %s | %s | %s | %d |\n", v, m, W, C, L, list, ex[v], rb[v] + 0
    }
  }' "$dir/cycle-runs.tsv"
  echo
  echo "### Goal: REPL cycle ≤ $GOAL_CYCLE × the polling CLI cycle"
  echo
  awk -F'\t' -v goal="$GOAL_CYCLE" "$AWK_LIB"'
  NR == 1 || $1 ~ /^w/ || $9 != "no" { next }
  { t[$1, $3] = $4; reps[$1] = 1; n[$3]++; all[$3, n[$3]] = $4 }
  END {
    print "| pair | ratio of medians | per-repetition ratio | goal ≤ " goal " |"
    print "|---|---|---|---|"
    split("repl cli-poll|experiment cli-poll|repl experiment", pairs, "|")
    for (p = 1; p <= 3; p++) {
      split(pairs[p], ab, " "); x = ab[1]; y = ab[2]
      if (!n[x] || !n[y]) continue
      delete a; for (i = 1; i <= n[x]; i++) a[i] = all[x, i]; mx = med(a, n[x])
      delete a; for (i = 1; i <= n[y]; i++) a[i] = all[y, i]; my = med(a, n[y])
      delete a; q = 0; for (r in reps) if ((r, x) in t && (r, y) in t) a[++q] = t[r, x] / t[r, y]
      g = y == "cli-poll" ? (mx / my <= goal ? "met" : sprintf("missed: needs ≤ %.2f s, takes %.2f s", goal * my / 1000, mx / 1000)) : "(reference)"
      printf "| %s ÷ %s | %.2f | %s | %s |\n", x, y, mx / my, mmm(a, q, "%.2f"), g
    }
  }' "$dir/cycle-runs.tsv"
  echo
  echo "### Steps (seconds, median (min–max))"
  echo
  echo "- repl: start-up = process start → submit's first progress line (launcher, JVM, REPL start, job jar look-up);"
  echo "  then each command ends at its result on stdout; exit = verdict line → process exit. Sub-steps (dotted) are"
  echo "  parts of a step delimited by its progress lines."
  echo "- experiment: the step times it measures itself; start-up = process start → its first progress line;"
  echo "  outside-steps = wall − the sum of its steps (start-up included)."
  echo "- cli-poll: bench/cycle's steps (each CLI call, wait or ./jbang swap-sst in turn)."
  echo
  awk -F'\t' "$AWK_LIB"'
  FILENAME == ARGV[1] { if (FNR > 1 && $1 !~ /^w/ && $9 == "no") clean[$1, $3] = 1; next }
  FNR == 1 || !(($1, $2) in clean) { next }
  { v = $2; st = $3; if (!(v in nst)) vorder[++nv] = v
    if (!((v, st) in cnt)) { nst[v]++; sorder[v, nst[v]] = st }
    cnt[v, st]++; val[v, st, cnt[v, st]] = $4 / 1000 }
  END {
    for (k = 1; k <= nv; k++) {
      v = vorder[k]; line = "- **" v "**: "
      for (j = 1; j <= nst[v]; j++) {
        st = sorder[v, j]; m = cnt[v, st]; delete a
        for (i = 1; i <= m; i++) a[i] = val[v, st, i]
        line = line (j > 1 ? ", " : "") st " " mmm(a, m, "%.2f")
      }
      print line
    }
  }' "$dir/cycle-runs.tsv" "$dir/cycle-steps.tsv"
fi

# -----------------------------------------------------------------------------------------------------------------
if [ -f "$dir/help.tsv" ]; then
  echo
  echo "## 3. Warm --help"
  echo
  echo "- jbang-*: \`./jbang statelab --help\`, \`./jbang savepoint --help\` (the launcher JVM, then the command JVM it execs)."
  echo "- launcher-*: the launcher JVM alone (\`dev.jbang.Main\` with the ./jbang script's options; it prints the command"
  echo "  line and exits 255); launcher-nocds: the same without its class-data archive; launcher-version: the launcher"
  echo "  JVM with no script to resolve (\`./jbang --version\`'s JVM)."
  echo "- exec-*: the command line the launcher execs (JBang's JVM options and the command's class-data archive)."
  echo "- java-cp-statelab-help: \`java -cp <the jbang-built jar classpath> statelab.StateLab --help\`, no options."
  echo "- java-version: a bare JVM (\`java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -version\`)."
  echo "- *-repl-empty: \`./jbang repl < /dev/null\` (the REPL starts, reads no line and exits), and its exec'd JVM alone."
  echo
  awk -F'\t' -v goal="$GOAL_HELP_MS" "$AWK_LIB"'
  NR == 1 || $1 ~ /^w/ { next }
  { p = $3; if (!(p in n)) order[++np] = p; n[p]++; w[p, n[p]] = $4; c[p, n[p]] = $5; l[p, n[p]] = $6; ex[p] = $7 }
  END {
    print "| probe | runs | wall ms | CPU ms | load | exit | goal ≤ " goal " ms |"
    print "|---|---|---|---|---|---|---|"
    for (k = 1; k <= np; k++) {
      p = order[k]; m = n[p]
      delete a; for (i = 1; i <= m; i++) a[i] = w[p, i]; M = med(a, m); W = mmm(a, m, "%d")
      delete a; for (i = 1; i <= m; i++) a[i] = c[p, i]; C = mmm(a, m, "%d")
      delete a; for (i = 1; i <= m; i++) a[i] = l[p, i]; L = mmm(a, m, "%.1f")
      g = p ~ /^jbang-.*-help$/ ? (M <= goal ? "met" : sprintf("missed (%.1f×)", M / goal)) : ""
      printf "| %s | %d | %s | %s | %s | %s | %s |\n", p, m, W, C, L, ex[p], g
    }
  }' "$dir/help.tsv"
  if [ -f "$dir/classes.tsv" ]; then
    echo
    echo "Classes loaded (one run each, not timed; -Xlog:class+load): from_cds = from a class-data archive (the JDK's or"
    echo "the command's), from_jars = read and defined from a jar or the JDK image; times are the JVM's uptime."
    echo
    echo "| JVM | classes | from CDS | from jars | picocli from its jar | first statelab class at s | last class at s |"
    echo "|---|---|---|---|---|---|---|"
    awk -F'\t' 'NR > 1 { printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$dir/classes.tsv"
  fi
fi
