#!/usr/bin/env python3
"""Writes bench/chaos's results file (Markdown, on stdout) from the raw data run.sh left in its work directory.

Usage: summarize.py WORK STAMP CLUSTER_CMD BASELINE_CMD SOAK_CMD

Reads, per phase (baseline, soak): NAME.json (sum-job --json), NAME.err, NAME.rc, NAME.wall, NAME.cpu, NAME.load,
NAME.samples (the /proc sampler's lines), NAME.job.json and NAME.exceptions.json (Flink's REST API after the run);
and machine.txt, cluster-start.json, jobmanager.log, leftover.txt. Says what is missing instead of failing.
"""
import json
import os
import re
import statistics
import sys
from datetime import datetime

work, stamp, cluster_cmd, base_cmd, soak_cmd = sys.argv[1:6]


def path(name):
    return os.path.join(work, name)


def read(name, default=""):
    try:
        with open(path(name)) as f:
            return f.read()
    except OSError:
        return default


def load_json(name):
    try:
        return json.loads(read(name).strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


machine = dict(line.split(" ", 1) for line in read("machine.txt").splitlines() if " " in line)
boot = float(machine.get("boot", "0"))  # epoch seconds of the kernel's boot, from /proc/uptime: process start = boot + starttime / CLK_TCK
clk = int(machine.get("clk_tck", "100"))


def fmt(x, digits=1):
    return "–" if x is None else f"{x:.{digits}f}"


def med_max(xs):
    xs = [x for x in xs if x is not None]
    return (statistics.median(xs), max(xs)) if xs else (None, None)


def log_time(line):
    """Epoch seconds of a log4j line ('2026-12-01 14:05:34,630 ...'), read in the local time zone as the JVM wrote it."""
    m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})", line)
    if not m:
        return None
    return datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S").timestamp() + int(m.group(2)) / 1000


def iso_time(s):
    try:
        return datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


jm_log = read("jobmanager.log").splitlines()
registrations = [(log_time(l), l) for l in jm_log if "Registering TaskManager with ResourceID" in l]
registrations = [(t, l) for t, l in registrations if t is not None]
# tasks reaching RUNNING: (time, "task name (i/n)")
task_running = []
for l in jm_log:
    m = re.search(r"ExecutionGraph\s+\[\] - (.+? \(\d+/\d+\)) \(\S+\) switched from INITIALIZING to RUNNING", l)
    if m and log_time(l) is not None:
        task_running.append((log_time(l), m.group(1)))
task_names = {n for _, n in task_running}


def all_running_after(t):
    """When every task had reached RUNNING after t (JobManager log), or None."""
    first = {}
    for tt, n in task_running:
        if tt > t and n not in first:
            first[n] = tt
    return max(first.values()) if task_names and set(first) == task_names else None


def phase(name):
    p = {"name": name, "json": load_json(f"{name}.json"), "rc": read(f"{name}.rc", "?").strip()}
    wall = read(f"{name}.wall").split()
    p["t0"], p["t1"] = (float(wall[0]), float(wall[1])) if len(wall) == 2 else (None, None)
    p["wall"] = p["t1"] - p["t0"] if p["t0"] is not None else None
    loads = read(f"{name}.load").splitlines()
    p["load"] = " → ".join(loads)
    cpu = [list(map(int, l.split())) for l in read(f"{name}.cpu").splitlines() if l.strip()]
    if len(cpu) == 2:
        busy, idle = cpu[1][0] - cpu[0][0], cpu[1][1] - cpu[0][1]
        p["machine_busy"] = 100.0 * busy / (busy + idle) if busy + idle else None
    else:
        p["machine_busy"] = None
    try:
        p["job"] = json.loads(read(f"{name}.job.json"))
    except ValueError:
        p["job"] = None
    try:
        p["exceptions"] = json.loads(read(f"{name}.exceptions.json"))["exceptionHistory"]["entries"]
    except (ValueError, KeyError, TypeError):
        p["exceptions"] = None
    # samples
    rows, new_tms = [], []
    for line in read(f"{name}.samples").splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[1] == "new-tm":
            new_tms.append((float(parts[0]), int(parts[2]), iso_time(parts[3])))
        elif len(parts) == 6:
            rows.append((float(parts[0]), parts[1], int(parts[2]), int(parts[3]), int(parts[4]), int(parts[5])))
    p["rows"], p["new_tms"] = rows, new_tms
    return p


def resources(p):
    """CPU seconds and RSS per role. A process started before the phase counts from its first sample; one started
    during it (a replacement TaskManager) from zero. A killed TaskManager's last (up to 1 s) of CPU is not seen."""
    rows = p["rows"]
    if not rows:
        return None
    t0 = p["t0"] if p["t0"] is not None else rows[0][0]
    first, last = {}, {}
    for t, role, pid, ticks, rss, start in rows:
        key = (role, pid)
        first.setdefault(key, (ticks, start))
        last[key] = ticks
    cpu = {"jm": 0.0, "tm": 0.0}
    for key, (ticks0, start) in first.items():
        started_during = boot + start / clk >= t0
        cpu[key[0]] += (last[key] - (0 if started_during else ticks0)) / clk
    rss = {"jm": [], "tm": []}
    by_time = {}
    for t, role, pid, ticks, r, start in rows:
        rss[role].append(r / 1024)
        by_time.setdefault(round(t), {})[role] = r / 1024
    cluster = [v["jm"] + v["tm"] for v in by_time.values() if "jm" in v and "tm" in v]
    tm_peaks = {}
    for t, role, pid, ticks, r, start in rows:
        if role == "tm":
            tm_peaks[pid] = max(tm_peaks.get(pid, 0), r / 1024)
    span = (p["t1"] - p["t0"]) if p["t0"] is not None else rows[-1][0] - rows[0][0]
    return {"cpu": cpu, "rss": rss, "cluster": cluster, "span": span, "samples": len(by_time),
            "tms": len({pid for (role, pid) in first if role == "tm"}), "tm_peaks": tm_peaks}


def rss_stats(xs):
    if not xs:
        return "–"
    return f"{min(xs):.0f} / {statistics.median(xs):.0f} / {max(xs):.0f}"


base, soak = phase("baseline"), phase("soak")
out = []
w = out.append

w(f"# chaos benchmark, {stamp}, StateLab {machine.get('commit', '?')}")
w("")
w(f"Machine: {machine.get('nproc', '?')} CPUs ({machine.get('cpu', '?')}), "
  f"{int(re.sub(r'[^0-9]', '', machine.get('MemTotal:', '0') or '0')) // 1024} MiB RAM, Linux {machine.get('kernel', '?')}, "
  f"{machine.get('java', '?')}. Load average (1/5/15 min) at the start: {machine.get('start', '?')}; at the end: "
  f"{machine.get('end', '?')}. `cluster start` (JobManager + TaskManager, until the slots registered) took "
  f"{fmt(float(machine['cluster'].split()[1]) if 'cluster' in machine else None, 2)} s.")
w("")
w("Commands (run.sh, in this order):")
w("")
w("```")
w(cluster_cmd)
w(base_cmd)
w(soak_cmd)
w("```")
w("")

sj = soak["json"]
bj = base["json"]
if sj is None:
    w(f"**The soak printed no JSON result (exit {soak['rc']}).** Its stderr, last lines:")
    w("")
    w("```")
    w("\n".join(read("soak.err").splitlines()[-25:]))
    w("```")
    w("")
chaos = (sj or {}).get("chaos") or {}
kills = chaos.get("kills") or []

# per-kill table, with the replacement's registration from the JobManager log
exceptions = sorted(soak["exceptions"] or [], key=lambda e: e["timestamp"])


def started(p, pid):
    """When process pid started (epoch seconds, to the 10 ms), from the sampler's /proc/PID/stat starttime."""
    return next((boot + r[5] / clk for r in p["rows"] if r[2] == pid), None)


rows = []
# Which failure belongs to which kill: as chaos itself decides, the first one recorded at or after the kill. The kill's
# instant is not in the JSON; it is bounded below by the previous kill plus its recovery to the next checkpoint (chaos
# waits for that before the next kill), so kill k's failure is the first one at or after that bound, and the kill
# happened detectedMillis before it. Checked against the replacement's spawn, which must come after the kill.
lower = soak["t0"] if soak["t0"] is not None else 0
for k in kills:
    spawn_t = started(soak, k["replacementPid"])
    e = next((e for e in exceptions if e["timestamp"] / 1000 >= lower), None)
    kill_t = e["timestamp"] / 1000 - k["detectedMillis"] / 1000 if e is not None else None
    if kill_t is not None and spawn_t is not None and kill_t > spawn_t + 0.1:
        kill_t = None  # inconsistent pairing: say nothing rather than something wrong
    if kill_t is not None and k["checkpointAfterMillis"] is not None:
        lower = kill_t + k["checkpointAfterMillis"] / 1000
    elif kill_t is not None:
        lower = kill_t + k["runningMillis"] / 1000
    reg = next((t for t, l in registrations if kill_t is not None and t > kill_t), None)
    log_running = all_running_after(kill_t) if kill_t is not None else None
    rows.append({
        "n": k["number"],
        "noticed": k["detectedMillis"] / 1000,
        "registered": (reg - kill_t) if reg is not None else None,
        "tm_start": (reg - spawn_t) if reg is not None and spawn_t is not None else None,
        "spawn_after_kill": (spawn_t - kill_t) if spawn_t is not None and kill_t is not None else None,
        "running": k["runningMillis"] / 1000,
        "log_running": (log_running - kill_t) if log_running is not None else None,
        "checkpoint": None if k["checkpointAfterMillis"] is None else k["checkpointAfterMillis"] / 1000,
        "restored": k.get("restoredCheckpoint"),
        "after": k.get("firstCheckpointAfter"),
        "cause": k.get("rootCause") or "",
    })

if rows:
    w(f"## Recovery per kill ({len(kills)} of {chaos.get('requested', '?')} kills, --kill-at {chaos.get('killAt', '?')}, seed {chaos.get('seed', '?')})")
    w("")
    w("Seconds after the SIGKILL. *noticed*: the failure's timestamp in Flink's exception history; *replacement TM spawned*: the replacement TaskManager process's start (/proc); *TM registered*: its "
      "\"Registering TaskManager\" line in the JobManager log; *all tasks RUNNING (JM log)*: the last of the job's tasks "
      "switched from INITIALIZING to RUNNING; *running again (REST)*: when sum-job's poll of the REST API (cached up to "
      "500 ms) first saw the job and all its tasks RUNNING, the figure chaos reports; *next checkpoint*: the first checkpoint triggered after the kill completed.")
    w("")
    w("| kill | noticed s | replacement TM spawned s | TM registered s | all tasks RUNNING (JM log) s | running again (REST) s | log RUNNING − registered s | next checkpoint s | restored from → next checkpoint |")
    w("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        gap = None if r["registered"] is None or r["log_running"] is None else r["log_running"] - r["registered"]
        w(f"| {r['n']} | {fmt(r['noticed'], 2)} | {fmt(r['spawn_after_kill'], 2)} | {fmt(r['registered'], 2)} | {fmt(r['log_running'], 2)} | {fmt(r['running'], 2)} | {fmt(gap, 2)} | "
          f"{fmt(r['checkpoint'], 2)} | {r['restored'] if r['restored'] is not None else '–'} → {r['after'] if r['after'] is not None else '–'} |")
    cols = {
        "noticed": [r["noticed"] for r in rows],
        "spawned": [r["spawn_after_kill"] for r in rows],
        "registered": [r["registered"] for r in rows],
        "log_running": [r["log_running"] for r in rows],
        "running": [r["running"] for r in rows],
        "gap": [None if r["registered"] is None or r["log_running"] is None else r["log_running"] - r["registered"] for r in rows],
        "checkpoint": [r["checkpoint"] for r in rows],
    }
    mm = {k: med_max(v) for k, v in cols.items()}
    w(f"| **median** | **{fmt(mm['noticed'][0], 2)}** | **{fmt(mm['spawned'][0], 2)}** | **{fmt(mm['registered'][0], 2)}** | **{fmt(mm['log_running'][0], 2)}** | **{fmt(mm['running'][0], 2)}** | "
      f"**{fmt(mm['gap'][0], 2)}** | **{fmt(mm['checkpoint'][0], 2)}** | |")
    w(f"| **max** | **{fmt(mm['noticed'][1], 2)}** | **{fmt(mm['spawned'][1], 2)}** | **{fmt(mm['registered'][1], 2)}** | **{fmt(mm['log_running'][1], 2)}** | **{fmt(mm['running'][1], 2)}** | "
      f"**{fmt(mm['gap'][1], 2)}** | **{fmt(mm['checkpoint'][1], 2)}** | |")
    w("")
    tm_start = [r["tm_start"] for r in rows if r["tm_start"] is not None]
    if tm_start:
        w(f"Replacement TaskManager JVM, from its process start (/proc/PID/stat) to its registration: "
          f"median {statistics.median(tm_start):.2f} s, min {min(tm_start):.2f}, max {max(tm_start):.2f} s. "
          )
    cs = read("cluster-start.json")
    try:
        first_tm = started(base, json.loads(cs)["taskManagerPid"])
        first_reg = registrations[0][0] if registrations else None
        if first_tm is not None and first_reg is not None:
            w(f"For comparison, the first TaskManager at `cluster start` took {first_reg - first_tm:.2f} s from process start to registration.")
    except (ValueError, KeyError):
        pass
    w("")
    causes = {}
    for r in rows:
        c = re.sub(r"127\.0\.0\.1:\d+-[0-9a-f]+", "<tm>", r["cause"])
        causes[c] = causes.get(c, 0) + 1
    w("Root causes Flink recorded: " + "; ".join(f"{n}× `{c}`" for c, n in causes.items()))
    w("")

if chaos.get("note"):
    w(f"**Note from chaos:** {chaos['note']}")
    w("")

w("## Output: records lost or duplicated")
w("")
w("| run | verdict | records | lines expected | lines committed | duplicates | gaps | wrong sums | out of order | uncommitted in-progress files (not output) | exit |")
w("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for p in (base, soak):
    j = p["json"] or {}
    w(f"| {p['name']} | {j.get('verdict', '–')} | {j.get('records', '–')} | {j.get('expectedLines', '–')} | {j.get('lines', '–')} | "
      f"{j.get('duplicates', '–')} | {j.get('gaps', '–')} | {j.get('wrongSums', '–')} | {j.get('outOfOrder', '–')} | "
      f"{len(j.get('uncommitted') or [])} | {p['rc']} |")
w("")
job_id = (sj or {}).get("jobId")
restart_lines = [l for l in jm_log if job_id and job_id in l and "switched from state RUNNING to RESTARTING" in l]
w(f"Kills done: {len(kills)}. Restarts: {len(restart_lines)} (the job's RUNNING → RESTARTING lines in the JobManager log); "
  f"failures in Flink's exception history: {(sj or {}).get('failures', '–')}; sum-job's restarts (the job's restores from a "
  f"checkpoint, Flink's checkpoint statistics): {(sj or {}).get('restarts', '–')}. Checkpoints completed: baseline {(bj or {}).get('checkpoints', '–')}, soak {(sj or {}).get('checkpoints', '–')}.")
w("")

w("## Time: with kills against the baseline")
w("")
w("| run | sum-job wall s (submit → finished → verified) | Flink job duration s | machine CPU busy (all processes, both cores) | load average before → after |")
w("|---|---:|---:|---:|---|")
dur = {}
for p in (base, soak):
    d = (p["job"] or {}).get("duration")
    dur[p["name"]] = d / 1000 if d is not None else None
    w(f"| {p['name']} | {fmt(p['wall'])} | {fmt(dur[p['name']])} | {fmt(p['machine_busy'])} % | {p['load']} |")
if base["wall"] and soak["wall"]:
    ratio_dur = (dur["soak"] / dur["baseline"]) if dur["soak"] and dur["baseline"] else None
    extra = soak["wall"] - base["wall"]
    w("")
    down = [r["log_running"] for r in rows if r["log_running"] is not None]
    w(f"**With {len(kills)} kills: {soak['wall'] / base['wall']:.2f}× the baseline's wall time** "
      f"({'%.2f×' % ratio_dur if ratio_dur else '–'} in Flink's job duration): {extra:.1f} s more wall time, "
      f"{extra / len(kills) if kills else float('nan'):.1f} s per kill"
      + (f"; job duration {dur['soak'] - dur['baseline']:.1f} s more, {(dur['soak'] - dur['baseline']) / len(kills):.1f} s per kill"
         if ratio_dur and kills else "")
      + (f". The kills' downtime (kill → all tasks RUNNING, JobManager log) adds up to {sum(down):.1f} s "
         f"({len(down)} kills, mean {statistics.mean(down):.2f} s)." if down else "."))
w("")

w("## Cluster CPU and memory")
w("")
w("Sampled once a second from /proc: utime+stime of each process, VmRSS. CPU % is of one core (200 % = both). A process "
  "started before the run counts from its first sample, a replacement TaskManager from its start; a killed "
  "TaskManager's CPU in its last second is not seen, so the TaskManager figures are slight underestimates. The "
  "TaskManager RSS minimum is a replacement's first sample, taken while its JVM was starting.")
w("")
w("| run | samples | JobManager CPU s (%) | TaskManagers CPU s (%) | cluster CPU s (%) | JobManager RSS MiB min / median / max | TaskManager RSS MiB min / median / max | JM + TM RSS MiB min / median / max | TaskManager JVMs |")
w("|---|---:|---|---|---|---|---|---|---:|")
res = {}
for p in (base, soak):
    r = resources(p)
    res[p["name"]] = r
    if r is None:
        w(f"| {p['name']} | 0 | – | – | – | – | – | – | – |")
        continue
    span = r["span"]
    jm, tm = r["cpu"]["jm"], r["cpu"]["tm"]
    w(f"| {p['name']} | {r['samples']} | {jm:.1f} ({100 * jm / span:.0f} %) | {tm:.1f} ({100 * tm / span:.0f} %) | "
      f"{jm + tm:.1f} ({100 * (jm + tm) / span:.0f} %) | {rss_stats(r['rss']['jm'])} | {rss_stats(r['rss']['tm'])} | "
      f"{rss_stats(r['cluster'])} | {r['tms']} |")
if res.get("soak"):
    peaks = res["soak"]["tm_peaks"]
    w("")
    w("Peak RSS of each TaskManager JVM during the soak (MiB, in order): " + ", ".join(f"{v:.0f}" for v in peaks.values()) + ".")
w("")

left = read("leftover.txt").strip()
w("Processes of the bench's cluster left after `cluster stop`: " + ("none." if not left else f"\n\n```\n{left}\n```"))
w("")
w("<details><summary>Raw sum-job --json of both runs</summary>")
w("")
w("```json")
w(read("baseline.json").strip())
w(read("soak.json").strip())
w("```")
w("")
w("</details>")
print("\n".join(out))
