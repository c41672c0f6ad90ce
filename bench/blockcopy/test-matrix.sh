#!/usr/bin/env bash
# Correctness matrix for the block-copy prototype: for each table configuration, generate a Flink-like SST,
# rewrite it with BlockCopy, and check the result with RocksDB 10.10.1 and, in a separate JVM, with Flink's
# frocksdbjni 8.10. Prints one line per case: the configuration and PASS/FAIL/REFUSED.
# Usage: [CASES=REGEX] bench/blockcopy/test-matrix.sh [ENTRIES]   (scratch files in bench/work/blockcopy/matrix)
set -u -o pipefail
here=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$root/bench/work/blockcopy/matrix"
entries=${1:-200000}
jbang="$root/jbang"
mkdir -p "$work"

run_case() { # name, generator options, block-copy options (--last/--value passed to the verifiers too)
  local name=$1 gen=$2 bc=$3
  [[ "$name" =~ ${CASES:-.} ]] || return 0
  local in="$work/$name.sst" out="$work/$name.out.sst" log="$work/$name.log"
  rm -f "$in" "$out"
  if ! "$jbang" "$here/../GenerateSst.java" "$in" --entries "$entries" $gen >"$log" 2>&1; then
    echo "$name GEN-FAILED ($(tail -1 "$log"))"; return
  fi
  if ! "$jbang" "$here/BlockCopy.java" "$in" "$out" --json $bc >>"$log" 2>&1; then
    echo "$name REFUSED: $(grep '^error' "$log" | tail -1)"; return
  fi
  local raw
  raw=$(grep -o '"blocksCopiedRaw":[0-9]*,"blocksReencoded":[0-9]*' "$log" | tail -1)
  local r1 r2
  "$jbang" "$here/VerifyWithRocksdb.java" "$in" "$out" $bc >>"$log" 2>&1 && r1=ok || r1=FAIL
  "$jbang" "$here/VerifyWithFrocksdb.java" "$in" "$out" $bc >>"$log" 2>&1 && r2=ok || r2=FAIL
  if [ "$r1" = ok ] && [ "$r2" = ok ]; then
    echo "$name PASS (rocksdbjni 10.10.1 $r1, frocksdbjni 8.10 $r2; $raw)"
  else
    echo "$name FAIL (rocksdbjni 10.10.1 $r1, frocksdbjni 8.10 $r2; see $log)"
  fi
}

for fv in 2 3 4 5; do
  run_case "fv$fv-snappy-default" "--format-version $fv" "--last 5"
done
for ck in crc32c xxhash64 xxh3; do
  run_case "fv5-snappy-$ck" "--format-version 5 --checksum $ck" "--last 5"
done
run_case "fv5-none-default" "--format-version 5 --compression none" "--last 5"
run_case "fv3-none-crc32c" "--format-version 3 --compression none --checksum crc32c" "--last 5"
run_case "fv5-snappy-bloom" "--format-version 5 --bloom" "--last 5"
run_case "fv4-snappy-bloom-crc32c" "--format-version 4 --bloom --checksum crc32c" "--last 5"
run_case "fv5-last1" "--format-version 5" "--last 1"
run_case "fv5-last5000" "--format-version 5" "--last 5000"
run_case "fv5-all" "--format-version 5" "--last $entries"
run_case "fv5-longer-value" "--format-version 5" "--last 300 --value 00112233445566778899aabbccddeeff0011223344556677"
run_case "fv5-shorter-value" "--format-version 5" "--last 300 --value 01"
run_case "fv2-none-longer-value" "--format-version 2 --compression none" "--last 300 --value 00112233445566778899aabbccddeeff"
run_case "fv6-refused" "--format-version 6" "--last 5"
