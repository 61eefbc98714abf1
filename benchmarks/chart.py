#!/usr/bin/env python3
"""Draws the overlay's ratios per run as an SVG (standard library only).

Reads every benchmarks/results/*.json written by the benchmarks' --json option (see
Modes/ResultsFile.cs, or by full_results.py for a full-mode run): {"run": LABEL, "ratios": {NAME:
{"value", "target", "lowerIsBetter"[, "range": [LOW, HIGH]]}}}; a range (full mode's, from the 99.9 %
confidence intervals) is drawn as a black whisker over its bar.
One row per ratio name, one bar per run (oldest first), the target as a red line. Each row has its
own scale (its largest value or target), since some rows are ratios near 1 and others are bytes or
KiB; the dashed line in a row marks 1.0 where it is on that row's scale.

    python3 benchmarks/chart.py [--out benchmarks/results/ratios.svg] [RESULTS.json ...]
"""
import argparse
import glob
import html
import json
import os

ROW_HEIGHT = 16
BAR_GAP = 2
LABEL_WIDTH = 430
PLOT_WIDTH = 360
COLORS = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948"]


def load(paths):
    runs = []
    # By name without ".json", so "DATE-quick" comes before "DATE-quick-2" ("-" sorts before ".").
    for path in sorted(paths, key=lambda p: os.path.splitext(p)[0]):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        runs.append((data.get("run", os.path.basename(path)), data.get("ratios", {})))
    return runs


def draw(runs):
    names = sorted({name for _, ratios in runs for name in ratios})
    if not names:
        raise SystemExit("no ratios in the results given")
    group = len(runs) * (ROW_HEIGHT + BAR_GAP) + 8
    height = 40 + len(names) * group + 20 * len(runs)
    width = LABEL_WIDTH + PLOT_WIDTH + 80
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           '<text x="8" y="18" font-size="14">Overlay ratios per run (bar: value, pale where its target is missed; red line: target; dashed: 1.0; each row on its own scale)</text>']
    y = 40
    for name in names:
        in_row = [r[name] for _, r in runs if name in r]
        scale_max = max([1.0] + [r["value"] for r in in_row] + [r["target"] or 0 for r in in_row] + [max(v for v in (r.get("range") or [0]) if v is not None) for r in in_row]) * 1.05
        out.append(f'<text x="8" y="{y + ROW_HEIGHT - 4}">{html.escape(name)}</text>')
        x1 = LABEL_WIDTH + PLOT_WIDTH / scale_max
        out.append(f'<line x1="{x1:.1f}" y1="{y - 2}" x2="{x1:.1f}" y2="{y + group - 8}" stroke="#999" stroke-dasharray="3,3"/>')
        for i, (_, ratios) in enumerate(runs):
            if name not in ratios:
                continue
            r = ratios[name]
            by = y + i * (ROW_HEIGHT + BAR_GAP)
            w = PLOT_WIDTH * r["value"] / scale_max
            target = r.get("target")
            met = target is None or (r["value"] <= target if r.get("lowerIsBetter", True) else r["value"] >= target)
            out.append(f'<rect x="{LABEL_WIDTH}" y="{by}" width="{w:.1f}" height="{ROW_HEIGHT}" fill="{COLORS[i % len(COLORS)]}" opacity="{1.0 if met else 0.6}"/>')
            if r.get("range"):
                # An unbounded range (null upper end) runs to the row's edge.
                lo, hi = (LABEL_WIDTH + PLOT_WIDTH * (scale_max if v is None else v) / scale_max for v in r["range"])
                out.append(f'<line x1="{lo:.1f}" y1="{by + ROW_HEIGHT / 2}" x2="{hi:.1f}" y2="{by + ROW_HEIGHT / 2}" stroke="black"/>')
                w = max(w, hi - LABEL_WIDTH)
            out.append(f'<text x="{LABEL_WIDTH + w + 4:.1f}" y="{by + ROW_HEIGHT - 4}">{r["value"]:.3g}</text>')
            if target is not None:
                tx = LABEL_WIDTH + PLOT_WIDTH * target / scale_max
                out.append(f'<line x1="{tx:.1f}" y1="{by}" x2="{tx:.1f}" y2="{by + ROW_HEIGHT}" stroke="red" stroke-width="2"/>')
        y += group
    for i, (label, _) in enumerate(runs):
        ly = y + 14 + i * 20
        out.append(f'<rect x="8" y="{ly - 11}" width="12" height="12" fill="{COLORS[i % len(COLORS)]}"/>')
        out.append(f'<text x="26" y="{ly}">{html.escape(str(label))}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="*", help="result files (default: benchmarks/results/*.json)")
    parser.add_argument("--out", default=os.path.join(here, "results", "ratios.svg"))
    args = parser.parse_args()
    runs = load(args.results or glob.glob(os.path.join(here, "results", "*.json")))
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(draw(runs))
    print(f"wrote {args.out} ({len(runs)} runs)")


if __name__ == "__main__":
    main()
