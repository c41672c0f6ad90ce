#!/usr/bin/env python3
"""Checks once, untimed, that the two tools of a comparison read the same state (run.sh calls this).

  check.py INSPECT.jsonl SST_DUMP.txt WORDS

INSPECT.jsonl: the output of `inspect --entries --json SAVEPOINT`; SST_DUMP.txt: the output of `sst_dump
--file=DIR --command=scan --output_hex` over the same savepoint's SST files; WORDS: how many words the job counted.
Checks: every inspect entry decoded (note null), of state `count`, keys distinct, the counts summing to WORDS; the
newest version (highest seq) of each user key sst_dump prints is a put whose key and value bytes are those of
inspect's entry (keyHex, valueHex), and sst_dump has no key inspect lacks. Prints one line per figure; exit 1 when
a check fails.
"""
import json
import re
import sys


def main():
    inspect_path, dump_path, words = sys.argv[1], sys.argv[2], int(sys.argv[3])
    live = {}
    n = notes = total = 0
    states = set()
    for line in open(inspect_path):
        if not line.startswith("{"):
            continue
        e = json.loads(line)
        n += 1
        states.add(e["state"])
        if e["note"] is not None:
            notes += 1
        if isinstance(e["value"], int):
            total += e["value"]
        live[e["keyHex"].lower()] = e["valueHex"].lower()
    newest = {}
    lines = kinds = 0
    other = []
    entry = re.compile(r"^'([0-9A-Fa-f]*)' seq:(\d+), type:(\d+) => ([0-9A-Fa-f]*)$")
    for line in open(dump_path):
        m = entry.match(line.rstrip("\n"))
        if not m:
            other.append(line.rstrip("\n"))
            continue
        lines += 1
        key, seq, typ, value = m.group(1).lower(), int(m.group(2)), int(m.group(3)), m.group(4).lower()
        old = newest.get(key)
        if old is None or seq > old[0]:
            newest[key] = (seq, typ, value)
    puts = {k: v for k, (s, t, v) in newest.items() if t == 1}
    missing = sum(1 for k in live if k not in puts)
    extra = sum(1 for k in puts if k not in live)
    differ = sum(1 for k, v in live.items() if k in puts and puts[k] != v)
    not_put = sum(1 for k, (s, t, v) in newest.items() if t != 1)
    ok = (notes == 0 and len(live) == n and total == words and missing == 0 and extra == 0 and differ == 0
          and not_put == 0)
    print("inspect: %d entries, %d distinct keys, states %s, %d with a note, values sum to %d (the job counted %d words)"
          % (n, len(live), ",".join(sorted(states)), notes, total, words))
    print("sst_dump: %d entry lines (every version in every file), %d distinct user keys, %d newest versions not a put, "
          "%d other lines (its headers)" % (lines, len(newest), not_put, len(other)))
    print("same state: %d of inspect's keys missing from sst_dump's newest puts, %d extra in sst_dump, %d values differ"
          % (missing, extra, differ))
    print("check: %s" % ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
