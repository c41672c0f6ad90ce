#!/usr/bin/env bash
# Builds bench/sst-engine/swap_sst_stream.cpp into bench/work/sst-engine/swap_sst_stream (git-ignored).
# Installs g++ and Debian's librocksdb-dev (RocksDB 7.8.3 on bookworm) with apt-get when they are missing
# (needs root). Prints the binary's path.
set -euo pipefail
here=$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
work="$root/bench/work/sst-engine"
mkdir -p "$work"

missing=()
command -v g++ >/dev/null || missing+=(g++)
[ -f /usr/include/rocksdb/sst_file_reader.h ] || missing+=(librocksdb-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "build-cpp.sh: installing ${missing[*]} with apt-get" >&2
  apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2
fi

bin="$work/swap_sst_stream"
if [ ! -x "$bin" ] || [ "$here/swap_sst_stream.cpp" -nt "$bin" ]; then
  g++ -O2 -std=c++17 -Wall -o "$bin" "$here/swap_sst_stream.cpp" -lrocksdb
fi
echo "$bin"
