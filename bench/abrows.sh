# Sourced by the benchmarks' scripts: what a results file keeps of ab.py's output.
#
#   ab_rows [EXTRA]   stdin: ab.py's output. stdout: its two commands, their exit counts (less the notes after them),
#                     the header and every figure's row. EXTRA: an extended regex of more lines to keep.
ab_rows() {
  grep -E "^(A|B) = |^(A|B) exit|^ +min +median|^(A|B|A/B) (user|sys|cpu|wall|peak)${1:+|$1}" | sed -E 's/^((A|B) exit[^;]*);.*/\1/'
}
