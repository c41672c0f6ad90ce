"""What the benchmarks' summarize.py scripts read: the sections run.sh writes, '### ID: TITLE' followed by the A/B
timer's rows as printed ('A wall s  MIN MEDIAN MAX', 'A/B wall …', 'B peak MiB …'), and lines of each benchmark's own.

  parse(path, extra)  -> {id: {"title", "rows": {"A wall": (min, median, max), …}, "entries": {}, "notes": []}}

extra(line, section) is asked about every other line of a section and returns True when it took the line (into
section["entries"] or section["notes"]); a '## ' heading ends the sections.
"""
import re

_HEADER = re.compile(r"^### (\S+): (.*)$")
_ROW = re.compile(r"^(A|B|A/B) (user|sys|cpu|wall|peak)( s| MiB)?\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*$")


def parse(path, extra=None):
    sections, cur = {}, None
    for line in open(path):
        m = _HEADER.match(line)
        if m:
            cur = sections.setdefault(m.group(1), {"title": m.group(2), "rows": {}, "entries": {}, "notes": []})
            continue
        if cur is None:
            continue
        m = _ROW.match(line)
        if m:
            cur["rows"][m.group(1) + " " + m.group(2)] = tuple(float(m.group(i)) for i in (4, 5, 6))
        elif extra is not None and extra(line, cur):
            pass
        elif line.startswith("## "):
            cur = None
    return sections


def fmt(x, d=2):
    return "–" if x is None else ("%." + str(d) + "f") % x
