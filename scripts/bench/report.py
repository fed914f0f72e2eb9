#!/usr/bin/env python3
"""report.py: one bench.sh run as a JSON file, and its rounds as an SVG plot.

usage: report.py --runs RUNS.tsv [--ceiling CEILING.tsv] [--targets TARGETS.txt]
                 [--meta KEY=VALUE ...] --json OUT.json [--svg OUT.svg]

RUNS.tsv has one line per run, tab-separated: key, label, wall s, CPU s
(user + system), peak RSS MiB, probes, rate (the tool's own probes/s),
wire (the send phase's probes/s on the wire), CPU s per million probes,
hits, expected, RSS series, notes. CEILING.tsv holds the ceiling
scenario's medians as KEY VALUE lines (MODE.TOOL.FIGURE); TARGETS.txt the
PASS/FAIL lines. The JSON keeps them all, so that runs can be compared over
time. The SVG plots every scenario that ran in rounds (keys ending in
.ROUND): each round's probes/s as a dot, the median as a bar, one panel per
scenario and mode. It is written directly, with no plotting package.
"""

import argparse
import json
import re
import statistics
import sys
from xml.sax.saxutils import escape

FIELDS = ["key", "label", "wall_s", "cpu_s", "rss_mib", "probes", "rate", "wire_rate",
          "cpu_s_per_million", "hits", "expected", "rss_series", "notes"]

# ORDER places the tools of a panel: each ceiling before the trawl it bounds.
ORDER = ["ref", "trawl", "static", "before", "senders1", "senders3", "refip", "trawlip", "zmap", "masscan"]

PANELS = {
    "c.ans": "ceiling, answered: send phase, probes/s",
    "c.sil": "ceiling, into silence: send phase, probes/s",
    "s3": "scenario 3, /19 x 1-1024: probes/s",
}


def number(s):
    """Returns s as an int or float, or s itself if it is not a number."""
    try:
        f = float(s)
    except ValueError:
        return s
    return int(f) if f.is_integer() and "." not in s else f


def read_runs(path):
    runs = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < len(FIELDS):
                continue
            run = {}
            for name, value in zip(FIELDS, parts):
                if name == "rss_series":
                    run[name] = [float(v) for v in value.split() if re.fullmatch(r"[0-9.]+", v)]
                elif name in ("key", "label", "notes"):
                    run[name] = value
                elif value != "":
                    run[name] = number(value)
            runs.append(run)
    runs.sort(key=lambda r: r["key"])
    return runs


def read_ceiling(path):
    out = {}
    if not path:
        return out
    with open(path, encoding="utf-8") as f:
        for line in f:
            key, _, value = line.rstrip("\n").partition("\t")
            mode, tool, figure = key.split(".", 2)
            if figure == "rounds":
                value = [number(v) for v in value.split()]
            else:
                value = number(value)
            out.setdefault(mode, {}).setdefault(tool, {})[figure] = value
    return out


def series(runs):
    """Groups runs with a round number: {panel: {tool: [(round, value, label)]}}."""
    groups = {}
    for r in runs:
        m = re.fullmatch(r"(c\.(?:ans|sil)|s3)\.([a-z0-9]+)\.([0-9]+)", r["key"])
        if not m:
            continue
        value = r.get("wire_rate") or r.get("rate")
        if not isinstance(value, (int, float)) or value <= 0:
            continue
        label = re.sub(r" \((?:ans |sil )?[0-9]+\)$", "", r["label"])
        groups.setdefault(m.group(1), {}).setdefault(m.group(2), []).append((int(m.group(3)), value, label))
    return groups


def svg(groups, meta):
    """Returns an SVG document plotting groups, one panel each."""
    width, panel_h, top, left = 860, 250, 40, 70
    colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b"]
    panels = [p for p in PANELS if p in groups]
    height = top + len(panels) * (panel_h + 70) + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="10" y="20" font-size="14">trawl bench {escape(meta.get("date", ""))}: '
           f'{escape(meta.get("trawl", ""))}, {escape(meta.get("cores", "?"))} cores, '
           f'load {escape(meta.get("load_start", "?"))}</text>',
           '<text x="10" y="34" fill="#555">dots: rounds (colour = round); bars: medians</text>']
    y0 = top
    for p in panels:
        tools = groups[p]
        order = [t for t in ORDER if t in tools] + sorted(t for t in tools if t not in ORDER)
        vmax = max(v for t in tools for _, v, _ in tools[t]) * 1.1
        plot_w = width - left - 20
        step = plot_w / len(order)
        out.append(f'<text x="{left}" y="{y0 + 14}" font-size="13">{escape(PANELS[p])}</text>')
        base = y0 + 20 + panel_h
        for i in range(5):
            v = vmax * i / 4
            y = base - panel_h * i / 4
            out.append(f'<line x1="{left}" x2="{width - 20}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
            out.append(f'<text x="{left - 5}" y="{y + 4:.1f}" text-anchor="end">{v / 1000:.0f}k</text>')
        for i, t in enumerate(order):
            pts = tools[t]
            x = left + step * (i + 0.5)
            med = statistics.median(v for _, v, _ in pts)
            h = panel_h * med / vmax
            out.append(f'<rect x="{x - step * 0.3:.1f}" y="{base - h:.1f}" width="{step * 0.6:.1f}" '
                       f'height="{h:.1f}" fill="#cfe0f3"/>')
            out.append(f'<text x="{x:.1f}" y="{base - h - 4:.1f}" text-anchor="middle">{med / 1000:.0f}k</text>')
            for rnd, v, _ in pts:
                y = base - panel_h * v / vmax
                dx = (rnd - 2) * 6
                out.append(f'<circle cx="{x + dx:.1f}" cy="{y:.1f}" r="3.5" '
                           f'fill="{colors[(rnd - 1) % len(colors)]}"/>')
            label = pts[0][2]
            out.append(f'<text x="{x:.1f}" y="{base + 14}" text-anchor="middle">{escape(label[:28])}</text>')
            if len(label) > 28:
                out.append(f'<text x="{x:.1f}" y="{base + 27}" text-anchor="middle">{escape(label[28:56])}</text>')
        y0 = base + 50
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", required=True)
    ap.add_argument("--ceiling")
    ap.add_argument("--targets")
    ap.add_argument("--meta", nargs="*", default=[])
    ap.add_argument("--json", required=True)
    ap.add_argument("--svg")
    args = ap.parse_args(argv)
    meta = dict(m.split("=", 1) for m in args.meta if "=" in m)
    runs = read_runs(args.runs)
    doc = {"meta": meta, "runs": runs, "ceiling": read_ceiling(args.ceiling), "targets": []}
    if args.targets:
        with open(args.targets, encoding="utf-8") as f:
            doc["targets"] = [line.rstrip("\n") for line in f if re.match(r"(PASS|FAIL|INFO) ", line)]
    with open(args.json, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    wrote = [args.json]
    groups = series(runs)
    if args.svg and any(p in groups for p in PANELS):
        with open(args.svg, "w", encoding="utf-8") as f:
            f.write(svg(groups, meta))
        wrote.append(args.svg)
    print("bench.sh: wrote " + " and ".join(wrote))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
