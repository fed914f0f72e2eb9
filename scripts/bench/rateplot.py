#!/usr/bin/env python3
"""rateplot.py: trawl's rate over time, from --metadata-file and --status-json.

usage: rateplot.py stats RUN STEPS [--skip S] [--band B] [--over O]
       rateplot.py table [--every S] STEPS LABEL=RUN...
       rateplot.py svg --out OUT.svg [--json OUT.json] [--title T] --panel TITLE STEPS LABEL=RUN... [--panel ...]

RUN is the path prefix of one trawl run: RUN.meta.json is its --metadata-file
(its "rate_history": one point a second, {"t", "rate" set, "sent" achieved,
"answer_ratio"}) and RUN.err its stderr with the --status-json lines
("elapsed", "percent", "pass", "sent", "replies", ...).

STEPS is the bottleneck: "-" for none, a number N for N SYNs/s throughout, or
file:PATH, whose lines are "TIME N": N from TIME on, TIME in seconds since
the scan began (0 for the start) or a Unix time (after 1e9), which is taken
relative to the first run's "start".

Definitions (every figure comes from the rate_history points; the point at
t covers the second (t_prev, t]):
  sweep end   when the first pass had handed out every probe: the first
              status line with percent >= 100 (E s); after it come only the
              retries of the last probes and the wait. Without status lines,
              the last point.
  send phase  the points that begin at or after SKIP s (5: the controller's
              start-up) and end at or before E - 1 s, wholly inside the sweep.
  sustained   the probes sent in the send phase over its length: the mean of
              its points' "sent", weighted by their length; retries sent
              during the sweep count, as they are probes sent.
  over        the points after SKIP s (to the end of the run) whose "sent" is
              above OVER (1.3) x N, N the highest bottleneck in the point's
              second; over_run is the longest run of such points in a row.
  settle      for each bottleneck step (from its time until the next step or
              the sweep end): seconds from the step to the end of the first
              point that starts a run of 3 points (fewer if the step ends
              first) whose "sent" are all within BAND (15%) of the step's N.
              "never" if there is none.

stats prints one line of KEY=VALUE pairs for bench.sh; table prints the
points every S (2) seconds side by side; svg draws the runs' sent (solid)
and set (dashed) rate over time, with N as a red step line, one panel each,
written directly, with no plotting package; with --json it also writes the
points it plotted and each run's figures.
"""

import argparse
import json
import re
import sys
from datetime import datetime, timezone
from xml.sax.saxutils import escape

COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#17becf"]


def epoch(stamp):
    """Returns the Unix time of an RFC 3339 stamp with up to 9 decimals."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", stamp)
    if not m:
        raise ValueError(f"bad time {stamp!r}")
    base, frac, zone = m.groups()
    zone = "+00:00" if zone == "Z" else zone
    t = datetime.fromisoformat(base + zone).astimezone(timezone.utc).timestamp()
    return t + (float("0." + frac) if frac else 0.0)


class Run:
    """One trawl run: its rate history and status lines."""

    def __init__(self, prefix, label=""):
        self.label = label
        with open(prefix + ".meta.json", encoding="utf-8") as f:
            meta = json.load(f)
        self.start = epoch(meta["start"]) if meta.get("start") else 0.0
        self.auto = bool(meta.get("rate_auto"))
        self.duration = float(meta.get("duration") or 0)
        # (t0, t, set, sent, ratio): the point covers (t0, t].
        self.points = []
        prev = 0.0
        for p in meta.get("rate_history") or []:
            t = float(p["t"])
            self.points.append((prev, t, float(p["rate"]), float(p["sent"]), float(p.get("answer_ratio", 0))))
            prev = t
        self.status = []
        try:
            with open(prefix + ".err", encoding="utf-8", errors="replace") as f:
                for line in f:
                    if line.startswith("{"):
                        try:
                            self.status.append(json.loads(line))
                        except ValueError:
                            pass
        except OSError:
            pass
        self.sweep_end = None
        for s in self.status:
            if float(s.get("percent", 0)) >= 100:
                self.sweep_end = float(s["elapsed"])
                break
        if self.sweep_end is None:
            self.sweep_end = self.points[-1][1] if self.points else 0.0
        self.end = max([self.duration] + [p[1] for p in self.points])

    def answered_at(self, t):
        """Returns the replies per second over the status second nearest to t."""
        best, prev = None, None
        for s in self.status:
            if prev is not None and (best is None or abs(float(s["elapsed"]) - t) < abs(float(best[1]["elapsed"]) - t)):
                best = (prev, s)
            prev = s
        if best is None:
            return None
        a, b = best
        dt = float(b["elapsed"]) - float(a["elapsed"])
        if dt <= 0:
            return None
        return (int(b.get("replies", 0)) - int(a.get("replies", 0))) / dt


def read_steps(spec, start):
    """Returns the bottleneck as [(t, N)] sorted by t; [] for none."""
    if spec in ("-", "", "none"):
        return []
    if not spec.startswith("file:"):
        return [(0.0, float(spec))]
    steps = []
    with open(spec[5:], encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) != 2:
                continue
            t, n = float(parts[0]), float(parts[1])
            if t > 1e9:
                t -= start
            steps.append((max(t, 0.0), n))
    return sorted(steps)


def n_at(steps, t):
    """Returns the bottleneck at time t, None for none."""
    n = None
    for st, sn in steps:
        if st <= t:
            n = sn
    return n


def n_max(steps, t0, t1):
    """Returns the highest bottleneck in force during (t0, t1], None for none."""
    vals = [n for st, n in steps if t0 < st <= t1]
    at = n_at(steps, t0)
    if at is not None:
        vals.append(at)
    return max(vals) if vals else None


def stats(run, steps, skip, band, over):
    out = {"sweep_end": f"{run.sweep_end:.1f}", "end": f"{run.end:.1f}"}
    phase = [p for p in run.points if p[0] >= skip - 0.05 and p[1] <= run.sweep_end - 1 + 0.05]
    span = sum(p[1] - p[0] for p in phase)
    sent = sum((p[1] - p[0]) * p[3] for p in phase)
    out["sustained"] = f"{sent / span:.0f}" if span > 0 else "0"
    out["phase"] = f"{phase[0][0]:.1f}-{phase[-1][1]:.1f}" if phase else "-"
    out["peak"] = f"{max((p[3] for p in run.points), default=0):.0f}"
    out["peak_skip"] = f"{max((p[3] for p in run.points if p[0] < skip), default=0):.0f}"
    if steps:
        flags = []
        for p in run.points:
            if p[0] < skip - 0.05:
                continue
            n = n_max(steps, p[0], p[1])
            flags.append(n is not None and p[3] > over * n)
        longest = cur = 0
        for f in flags:
            cur = cur + 1 if f else 0
            longest = max(longest, cur)
        out["over"] = str(sum(flags))
        out["over_run"] = str(longest)
        settles, means = [], []
        for i, (st, n) in enumerate(steps):
            until = min(steps[i + 1][0] if i + 1 < len(steps) else float("inf"), run.sweep_end)
            pts = [p for p in run.points if p[0] >= st - 0.05 and p[1] <= until + 0.05]
            settle, tail = "never", pts[len(pts) // 2:]
            for j, p in enumerate(pts):
                if all(abs(q[3] - n) <= band * n for q in pts[j:j + 3]):
                    settle, tail = f"{p[1] - st:.1f}", pts[j:]
                    break
            settles.append(settle)
            # tail: the step's points once settled (its last half if never).
            span_t = sum(q[1] - q[0] for q in tail)
            means.append(f"{sum((q[1] - q[0]) * q[3] for q in tail) / span_t:.0f}" if span_t > 0 else "-")
        out["steps"] = ",".join(f"{st:.1f}" for st, _ in steps)
        out["settle"] = ",".join(settles)
        out["step_mean"] = ",".join(means)
    return out


def fmt_k(v):
    if v is None:
        return "-"
    return f"{v / 1e6:.0f}M" if v >= 1e7 else f"{v / 1000:.1f}k"


def table(runs, steps, every):
    """Prints the runs' points every `every` seconds side by side."""
    head = f"  {'t s':>5} {'N':>7} |"
    sub = f"  {'':>5} {'':>7} |"
    for r in runs:
        cols = ["set", "sent", "ratio", "ans/s"]
        w = 8 * len(cols)
        head += f" {r.label[:w - 1]:<{w - 1}} |"
        sub += " " + " ".join(f"{c:>7}" for c in cols) + " |"
    print(head)
    print(sub)
    tmax = max((r.end for r in runs), default=0)
    t = every
    while t <= tmax + every:
        row = f"  {t:>5.0f} {fmt_k(n_at(steps, t - 0.5)) if steps else '-':>7} |"
        any_pt = False
        for r in runs:
            pt = None
            for p in r.points:
                if p[0] < t <= p[1] + 0.5 and abs(p[1] - t) < 0.6:
                    pt = p
                    break
            if pt is None:
                cells = ["", "", "", ""]
            else:
                any_pt = True
                ans = r.answered_at(pt[1])
                cells = [fmt_k(pt[2]) if pt[2] > 0 else "none", fmt_k(pt[3]), f"{pt[4]:.3f}" if r.auto else "-", fmt_k(ans)]
            mark = "*" if pt is not None and pt[1] > r.sweep_end else " "
            row += " " + " ".join(f"{c:>7}" for c in cells) + mark + "|"
        if any_pt:
            print(row)
        t += every
    print("  (N: the bottleneck, SYNs/s; set: the rate trawl set (none: unpaced); sent: achieved over the second;")
    print("   ratio: the answer ratio --rate auto judged; ans/s: replies per second, from --status-json; *: after the")
    print("   sweep's end, when only the last retries and the wait remain)")


def nice(v):
    """Returns a round number >= v for an axis's top."""
    for e in range(0, 10):
        for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8):
            if m * 10 ** e >= v:
                return m * 10 ** e
    return v


def tick_of(span, n):
    """Returns a 1, 2 or 5 times a power of ten near span / n."""
    raw = span / n
    for e in range(-1, 10):
        for m in (1, 2, 5):
            if m * 10 ** e >= raw:
                return m * 10 ** e
    return raw


def svg(panels, title):
    width, ph, left, right = 900, 210, 70, 20
    top = 50
    out_h = top + len(panels) * (ph + 90) + 10
    pw = width - left - right
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{out_h}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{out_h}" fill="white"/>',
           f'<text x="10" y="20" font-size="14">{escape(title)}</text>',
           '<text x="10" y="36" fill="#555">solid: probes sent per second (achieved); dashed: the rate trawl set; '
           'red: the bottleneck N (SYNs/s the target passes); dotted vertical: the sweep\'s end</text>']
    y0 = top
    for ptitle, steps, runs in panels:
        step_t = tick_of(max([r.end for r in runs] + [1]), 10)
        tmax = step_t * -(-max([r.end for r in runs] + [1]) // step_t)
        vals = [p[3] for r in runs for p in r.points] + [p[2] for r in runs if r.auto for p in r.points]
        vals += [n for _, n in steps]
        tick = tick_of(max(vals + [1]) * 1.05, 6)
        vmax = tick * -(-max(vals + [1]) * 1.05 // tick)
        base = y0 + 20 + ph

        def x(t):
            return left + pw * min(t, tmax) / tmax

        def y(v):
            return base - ph * min(v, vmax) / vmax

        out.append(f'<text x="{left}" y="{y0 + 12}" font-size="13">{escape(ptitle)}</text>')
        for i in range(int(vmax / tick + 1e-9) + 1):
            v = tick * i
            out.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e4e4e4"/>')
            out.append(f'<text x="{left - 5}" y="{y(v) + 4:.1f}" text-anchor="end">{v / 1000:.0f}k</text>')
        t = 0.0
        while t <= tmax + 1e-9:
            out.append(f'<line x1="{x(t):.1f}" x2="{x(t):.1f}" y1="{base}" y2="{base + 4}" stroke="#888"/>')
            out.append(f'<text x="{x(t):.1f}" y="{base + 15}" text-anchor="middle">{t:g}</text>')
            t += step_t
        out.append(f'<text x="{width - right}" y="{base + 28}" text-anchor="end" fill="#555">seconds since the scan began</text>')
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{base}" y2="{base}" stroke="#888"/>')
        if steps:
            pts, prev = [], None
            for st, n in steps:
                if prev is not None:
                    pts.append((st, prev))
                pts.append((st, n))
                prev = n
            pts.append((tmax, prev))
            d = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in pts)
            out.append(f'<polyline points="{d}" fill="none" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6,3"/>')
            for i, (st, n) in enumerate(steps):
                end = steps[i + 1][0] if i + 1 < len(steps) else tmax
                if st >= tmax:
                    break
                if len(steps) == 1:
                    # One N: its label above the line, at the right.
                    out.append(f'<text x="{x(end) - 3:.1f}" y="{y(n) - 4:.1f}" text-anchor="end" fill="#d62728">N = {n / 1000:.0f}k</text>')
                else:
                    # Steps: each label at the top, from where its step begins.
                    out.append(f'<text x="{x(st) + 3:.1f}" y="{base - ph + 12:.1f}" fill="#d62728">N = {n / 1000:.0f}k</text>')
        lx = left + 10
        for i, r in enumerate(runs):
            c = COLORS[i % len(COLORS)]
            if r.points:
                # Each point is a step over its second.
                sent = [(x(0), y(0))]
                for p in r.points:
                    sent += [(x(p[0]), y(p[3])), (x(p[1]), y(p[3]))]
                out.append('<polyline points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b in sent) +
                           f'" fill="none" stroke="{c}" stroke-width="1.6"/>')
                if r.auto:
                    st = []
                    for p in r.points:
                        st += [(x(p[0]), y(p[2])), (x(p[1]), y(p[2]))]
                    out.append('<polyline points="' + " ".join(f"{a:.1f},{b:.1f}" for a, b in st) +
                               f'" fill="none" stroke="{c}" stroke-width="1.2" stroke-dasharray="4,3" opacity="0.8"/>')
            xe = x(r.sweep_end)
            out.append(f'<line x1="{xe:.1f}" x2="{xe:.1f}" y1="{base - ph}" y2="{base}" stroke="{c}" stroke-dasharray="1,3"/>')
            out.append(f'<rect x="{lx}" y="{base + 38}" width="14" height="3" fill="{c}"/>')
            out.append(f'<text x="{lx + 18}" y="{base + 43}">{escape(r.label)}</text>')
            lx += 30 + 6.2 * len(r.label)
        y0 = base + 60
    out.append("</svg>")
    return "\n".join(out) + "\n"


def parse_runs(specs):
    runs = []
    for spec in specs:
        label, sep, prefix = spec.rpartition("=")
        if not sep:
            label, prefix = spec, spec
        try:
            runs.append(Run(prefix, label))
        except (OSError, ValueError, KeyError) as e:
            print(f"rateplot.py: skipping {label}: {e}", file=sys.stderr)
    return runs


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    cmd, rest = argv[0], argv[1:]
    if cmd == "stats":
        ap = argparse.ArgumentParser(prog="rateplot.py stats")
        ap.add_argument("run")
        ap.add_argument("steps")
        ap.add_argument("--skip", type=float, default=5)
        ap.add_argument("--band", type=float, default=0.15)
        ap.add_argument("--over", type=float, default=1.3)
        a = ap.parse_args(rest)
        run = Run(a.run)
        st = stats(run, read_steps(a.steps, run.start), a.skip, a.band, a.over)
        print(" ".join(f"{k}={v}" for k, v in st.items()))
        return 0
    if cmd == "table":
        ap = argparse.ArgumentParser(prog="rateplot.py table")
        ap.add_argument("--every", type=float, default=2)
        ap.add_argument("steps")
        ap.add_argument("runs", nargs="+")
        a = ap.parse_args(rest)
        runs = parse_runs(a.runs)
        if runs:
            table(runs, read_steps(a.steps, runs[0].start), a.every)
        return 0
    if cmd == "svg":
        ap = argparse.ArgumentParser(prog="rateplot.py svg")
        ap.add_argument("--out", required=True)
        ap.add_argument("--title", default="trawl: rate over time")
        ap.add_argument("--json", help="also write the panels' runs (points and figures) to this file")
        ap.add_argument("--panel", nargs="+", action="append", default=[], metavar="TITLE STEPS LABEL=RUN")
        a = ap.parse_args(rest)
        panels = []
        for p in a.panel:
            if len(p) < 3:
                sys.exit("rateplot.py: --panel needs TITLE STEPS LABEL=RUN...")
            runs = parse_runs(p[2:])
            if runs:
                panels.append((p[0], read_steps(p[1], runs[0].start), runs))
        if not panels:
            print("rateplot.py: no runs to plot", file=sys.stderr)
            return 1
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(svg(panels, a.title))
        wrote = [a.out]
        if a.json:
            doc = {"title": a.title, "panels": []}
            for ptitle, steps, runs in panels:
                doc["panels"].append({
                    "title": ptitle, "steps": [{"t": round(t, 3), "n": n} for t, n in steps],
                    "runs": [{
                        "label": r.label, "rate_auto": r.auto, "sweep_end": r.sweep_end, "end": r.end,
                        "figures": stats(r, steps, 5, 0.15, 1.3),
                        "points": [{"t": round(p[1], 3), "rate": p[2], "sent": round(p[3]), "answer_ratio": p[4]} for p in r.points],
                    } for r in runs],
                })
            with open(a.json, "w", encoding="utf-8") as f:
                json.dump(doc, f, indent=1)
                f.write("\n")
            wrote.append(a.json)
        print("bench.sh: wrote " + " and ".join(wrote))
        return 0
    sys.exit(f"rateplot.py: unknown command {cmd!r}: stats, table or svg")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
