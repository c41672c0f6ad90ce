#!/usr/bin/env python3
"""Times two whole processes against each other, in turns, with public means only (Python's os.wait4).

  ab.py [-n RUNS] [--warmup W] [--timeout S] [--vs 'COMMAND_B'] -- COMMAND_A [ARG ...]

COMMAND_A (and COMMAND_B, one string split as a shell splits words) each run W times uncounted, then RUNS times
counted, in turn: A B A B ... Each run's wall time is a monotonic clock around start and reap; user and system
seconds and peak RSS are the kernel's accounting of the reaped child (wait4: the largest single process among
it and the descendants it waited for). Prints min, median and max of each figure and of the ratio A/B taken
pair by pair (pairing keeps the ratio meaningful when the machine's speed drifts). stdin is empty; stdout and
stderr are thrown away: write a command as sh -c 'exec CMD >>FILE 2>&1' to keep what it prints.
Exit status: 0 all runs were reaped (their own exit codes are printed), 2 bad arguments, 3 the timeout hit.
(A copy of bench/sst-engine/ab.py, so that bench/xray stands on its own.)
"""
import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time


def run_once(argv):
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    return {"user s": ru.ru_utime, "sys s": ru.ru_stime, "cpu s": ru.ru_utime + ru.ru_stime, "wall s": wall,
            "peak MiB": ru.ru_maxrss / 1024.0, "exit": p.returncode}


def row(label, values, digits):
    fmt = "%12." + str(digits) + "f"
    return "%-16s" % label + "".join(fmt % v for v in (min(values), statistics.median(values), max(values)))


def main():
    ap = argparse.ArgumentParser(usage=__doc__.splitlines()[2].strip())
    ap.add_argument("-n", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=100)
    ap.add_argument("--vs", default=None)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd_a = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd_a or a.n < 1:
        ap.error("a command to time is required")
    cmds = {"A": cmd_a}
    if a.vs:
        cmds["B"] = shlex.split(a.vs)
    deadline = time.monotonic() + a.timeout
    for name, argv in cmds.items():
        print("%s = %s" % (name, " ".join(shlex.quote(x) for x in argv)))
    floor = run_once(["true"])["peak MiB"]
    print("peak floor: %.1f MiB (the peak of 'true' started the same way; a peak at it is at most that)" % floor)
    for _ in range(a.warmup):
        for argv in cmds.values():
            run_once(argv)
    runs = {name: [] for name in cmds}
    timed_out = False
    for _ in range(a.n):
        for name, argv in cmds.items():
            if time.monotonic() > deadline:
                timed_out = True
                break
            runs[name].append(run_once(argv))
        if timed_out:
            break
    for name in cmds:
        codes = [r["exit"] for r in runs[name]]
        print("%s exit %s (%d of %d)" % (name, ",".join(sorted({str(c) for c in codes})) or "-", len(codes), a.n))
    counts = ", ".join("%s %d" % (name, len(runs[name])) for name in cmds)
    print("%-16s%12s%12s%12s   n: %s; whole process" % ("", "min", "median", "max", counts))
    for name in cmds:
        if not runs[name]:
            continue
        for key in ("user s", "sys s", "cpu s", "wall s", "peak MiB"):
            print(row("%s %s" % (name, key), [r[key] for r in runs[name]], 1 if key == "peak MiB" else 3))
    if "B" in cmds:
        pairs = list(zip(runs["A"], runs["B"]))
        for key in ("user", "cpu", "wall"):
            ratios = [ra[key + " s"] / rb[key + " s"] for ra, rb in pairs if rb[key + " s"] > 0]
            if ratios:
                print(row("A/B %s" % key, ratios, 4))
    return 3 if timed_out else 0


if __name__ == "__main__":
    sys.exit(main())
