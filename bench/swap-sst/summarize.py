#!/usr/bin/env python3
"""Summarizes a run.sh results TSV as Markdown tables: medians with min-max, ratios to cp taken round by round."""
import csv
import statistics
import sys
from collections import defaultdict

MODES = ["cp", "cp+fsync", "jbang", "java", "java-baseline"]


def size_key(size):
    units = {"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30}
    for unit, factor in units.items():
        if size.endswith(unit):
            return float(size[: -len(unit)]) * factor
    return float("inf")


def spread(values, fmt="{:.1f}"):
    return f"{fmt.format(statistics.median(values))} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def main(path):
    rows = list(csv.DictReader(open(path), delimiter="\t"))
    groups = defaultdict(list)
    for r in rows:
        groups[(r["size"], r["cache"], r["mode"])].append(r)

    version = [r for r in rows if r["size"] == "--version"]
    if version:
        print("### Launcher overhead: `swap-sst --version`\n")
        print("| path | runs | wall s, median (min–max) | CPU s (user+sys), median | peak RSS MiB, median (max) |")
        print("|---|---|---|---|---|")
        medians = {}
        for mode in ("jbang", "java"):
            rs = [r for r in version if r["mode"] == mode]
            walls = [float(r["wall_s"]) for r in rs]
            cpus = [float(r["user_s"]) + float(r["sys_s"]) for r in rs]
            rss = [int(r["max_rss_kib"]) / 1024 for r in rs]
            medians[mode] = statistics.median(walls)
            label = "`./jbang swap-sst`" if mode == "jbang" else "`java -cp … statelab.SwapSst`"
            print(f"| {label} | {len(rs)} | {spread(walls, '{:.2f}')} | {statistics.median(cpus):.2f} | "
                  f"{statistics.median(rss):.0f} ({max(rss):.0f}) |")
        print(f"\nJBang's launcher adds {medians['jbang'] - medians['java']:.2f} s (difference of the medians).\n")

    sizes = sorted({r["size"] for r in rows if r["size"] != "--version"}, key=size_key)
    for size in sizes:
        for cache in ("hot", "cold"):
            if not any(k[0] == size and k[1] == cache for k in groups):
                continue
            cp_by_round = {r["round"]: float(r["wall_s"]) for r in groups[(size, cache, "cp")]}
            sync_by_round = {r["round"]: float(r["wall_s"]) for r in groups[(size, cache, "cp+fsync")]}
            print(f"### {size}, {cache} page cache\n")
            print("| mode | runs | wall s, median (min–max) | ÷ cp | ÷ cp+fsync | CPU s (user+sys), median "
                  "| peak RSS MiB, median (max) | file cached before | load avg (1 min) | checks |")
            print("|---|---|---|---|---|---|---|---|---|---|")
            for mode in MODES:
                rs = groups.get((size, cache, mode))
                if not rs:
                    continue
                walls = [float(r["wall_s"]) for r in rs]
                cpus = [float(r["user_s"]) + float(r["sys_s"]) for r in rs]
                rss = [int(r["max_rss_kib"]) / 1024 for r in rs]
                ratio = [float(r["wall_s"]) / cp_by_round[r["round"]] for r in rs if cp_by_round.get(r["round"])]
                ratio_sync = [float(r["wall_s"]) / sync_by_round[r["round"]] for r in rs if sync_by_round.get(r["round"])]
                cached = sorted({r["cached_pct"] + "%" for r in rs})
                loads = [float(r["load1"]) for r in rs]
                checks = sorted({r["verified"] for r in rs})
                print(f"| {mode} | {len(rs)} | {spread(walls, '{:.2f}')} | "
                      f"{statistics.median(ratio):.1f}× | {statistics.median(ratio_sync):.1f}× | "
                      f"{statistics.median(cpus):.1f} | {statistics.median(rss):.0f} ({max(rss):.0f}) | "
                      f"{', '.join(cached)} | {min(loads):.1f}–{max(loads):.1f} | {', '.join(checks)} |")
            print()

    print("### Peak RSS (MiB, max over runs) by input size\n")
    print("| mode | " + " | ".join(sizes) + " |")
    print("|---|" + "---|" * len(sizes))
    for mode in MODES:
        cells = []
        for size in sizes:
            rss = [int(r["max_rss_kib"]) / 1024 for (s, c, m), rs in groups.items() if s == size and m == mode for r in rs]
            cells.append(f"{max(rss):.0f}" if rss else "–")
        if any(c != "–" for c in cells):
            print(f"| {mode} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1])
