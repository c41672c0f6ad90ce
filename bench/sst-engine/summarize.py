#!/usr/bin/env python3
"""The summary table and the goals of an sst-engine run, from its sections (run.sh calls this).

  summarize.py RESULTS.md     (a results file, or run.sh's body: '### ID: TITLE' sections with the timer's rows)

Goals (issue 7): g1 wall ratio <= 0.25 and swap-sst's peak RSS <= 150 MiB (its largest run); g2 wall ratio
<= 3; g2-rss peak RSS of 4 GiB within 10 MiB of 1 GiB (medians; the largest runs are shown too); g3 median
wall <= 0.5 s.
"""
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import sections  # noqa: E402  (bench/sections.py)
from sections import fmt  # noqa: E402


def notes(line, section):
    """'A in-process ms …' (each side's own timing) and 'SKIPPED …', kept as notes."""
    if re.match(r"^(A|B) in-process ms", line) or line.startswith("SKIPPED"):
        section["notes"].append(line.strip())
        return True
    return False


def parse(path):
    return sections.parse(path, notes)


def main():
    s = parse(sys.argv[1])
    med = lambda sec, key: s.get(sec, {}).get("rows", {}).get(key, (None,) * 3)[1]
    mx = lambda sec, key: s.get(sec, {}).get("rows", {}).get(key, (None,) * 3)[2]
    print("| id | comparison | median wall A s | median wall B s | ratio A/B wall, median (min–max) "
          "| peak RSS A MiB, median (max) | peak RSS B MiB, median (max) |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for sid, sec in s.items():
        r = sec["rows"]
        if not r:
            print("| %s | %s | %s |||||" % (sid, sec["title"], " ".join(sec["notes"]) or "no runs"))
            continue
        ratio = r.get("A/B wall")
        print("| %s | %s | %s | %s | %s | %s (%s) | %s (%s) |" % (
            sid, sec["title"], fmt(med(sid, "A wall")), fmt(med(sid, "B wall")),
            "%s (%s–%s)" % (fmt(ratio[1], 3), fmt(ratio[0], 3), fmt(ratio[2], 3)) if ratio else "–",
            fmt(med(sid, "A peak"), 1), fmt(mx(sid, "A peak"), 1),
            fmt(med(sid, "B peak"), 1), fmt(mx(sid, "B peak"), 1)))
    print()

    def verdict(ok):
        return "–" if ok is None else ("MET" if ok else "NOT MET")

    goals = []
    g1r, g1p = med("g1", "A/B wall"), mx("g1", "A peak")
    goals.append(("1. 100 MiB: swap-sst --mode block ≤ 0.25× the C++ streaming rewrite",
                  "%s×" % fmt(g1r, 3), verdict(None if g1r is None else g1r <= 0.25)))
    goals.append(("1. 100 MiB: swap-sst peak RSS ≤ 150 MiB", "%s MiB (largest run)" % fmt(g1p, 1),
                  verdict(None if g1p is None else g1p <= 150)))
    g2r = med("g2", "A/B wall")
    goals.append(("2. 1 GiB: swap-sst --mode block (JVM start included) ≤ 3× cp", "%s×" % fmt(g2r, 3),
                  verdict(None if g2r is None else g2r <= 3)))
    a, b, amax, bmax = med("g2-rss", "A peak"), med("g2-rss", "B peak"), mx("g2-rss", "A peak"), mx("g2-rss", "B peak")
    d = None if a is None or b is None else a - b
    goals.append(("2. peak RSS flat: 4 GiB within 10 MiB of 1 GiB",
                  "%s − %s = %s MiB (medians); largest runs %s − %s" % (fmt(a, 1), fmt(b, 1), fmt(d, 1), fmt(amax, 1),
                                                                         fmt(bmax, 1)),
                  verdict(None if d is None else abs(d) <= 10)))
    g3 = med("g3", "A wall")
    goals.append(("3. 1 GiB: --in-place --mode same-size ≤ 0.5 s wall",
                  "%s s" % fmt(g3) if g3 is not None else " ".join(s.get("g3", {}).get("notes", [])) or "not run",
                  verdict(None if g3 is None else g3 <= 0.5)))
    print("| goal | measured | verdict |")
    print("|---|---|---|")
    for g in goals:
        print("| %s | %s | %s |" % g)


if __name__ == "__main__":
    main()
