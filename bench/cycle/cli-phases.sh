#!/usr/bin/env bash
# Splits each Flink CLI invocation in a log written with log4j-cli.properties into phases, from the log's own
# timestamps: one TSV line per (invocation, phase). Phases:
#   init            "Starting Command Line Client" → "Running '<cmd>' command." (config, security, CLI set-up;
#                   the JVM's own start before logging begins is not in the log: see the flink-help probe)
#   main+compile    run: "Starting program" → "Submitting job" (the job's main() and the job graph, client-side)
#   upload+submit   run: "Submitting job" → "Successfully submitted" (jar and job graph over REST)
#   request         savepoint: "Triggering savepoint" → "Savepoint completed"; cancel: "Cancelling job" →
#                   "Cancelled job"; list: "Running 'list' command." → "Successfully retrieved list of jobs"
#
# Usage: bench/cycle/cli-phases.sh WORK/flink-cli.log > RESULTS/cli-phases.tsv
set -u -o pipefail
log=${1:?usage: cli-phases.sh FLINK_CLI_LOG}

printf 'invocation\tcommand\tphase\tms\n'
awk '
function ms(line,   t) { t = substr(line, 12, 12); return (substr(t, 1, 2) * 3600 + substr(t, 4, 2) * 60 + substr(t, 7, 2)) * 1000 + substr(t, 10, 3) }
function emit(phase, a, b) { if (a != "" && b != "" && b >= a) printf "%d\t%s\t%s\t%d\n", n, cmd, phase, b - a }
function flush() {
  if (n == 0) return
  emit("init", t_start, t_running)
  if (cmd == "run") { emit("main+compile", t_prog, t_subm); emit("upload+submit", t_subm, t_done) }
  else if (cmd == "list") emit("request", t_running, t_done)
  else emit("request", t_req, t_done)
}
!/^20[0-9][0-9]-/ { next }
/Starting Command Line Client/ { flush(); n++; cmd = ""; t_start = ms($0); t_running = t_prog = t_subm = t_req = t_done = ""; next }
/ - Running .* command\./ { t_running = ms($0); cmd = $0; sub(/.*Running \047/, "", cmd); sub(/\047 command\..*/, "", cmd); next }
/ - Starting program/ { t_prog = ms($0); next }
/ - Submitting job/ { t_subm = ms($0); next }
/ - Successfully submitted job/ { t_done = ms($0); next }
/ - Triggering savepoint/ || / - Cancelling job/ { t_req = ms($0); next }
/ - Savepoint completed/ || / - Cancelled job/ || / - Successfully retrieved list of jobs/ { t_done = ms($0); next }
END { flush() }
' "$log"
