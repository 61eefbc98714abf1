#!/usr/bin/env python3
"""Turns a full-mode BenchmarkDotNet run into the results' ratio tables (issue #15), standard library only.

Reads the run's full JSON export (BenchmarkDotNet.Artifacts/results/*-report-full.json, written by
Program.cs) or, for a run stopped before its summary, its log (BenchmarkDotNet.Artifacts/*.log, whose
per-benchmark statistics carry the same figures). Optionally reads a results file the latency mode wrote
(--latency FILE.json) for the p50 and p99 of single operations.

For every ratio of the overlay against the TLS relay and against direct TLS it prints the ratio of the
medians, of the means, and a range from the 99.9 % confidence intervals of the means (lowest over highest,
highest over lowest). A target counts as "met" only when the whole range meets it, "not met" when the
median misses it, and "not confirmed" otherwise. Throughput rows are shares (baseline time over overlay
time: "the overlay has X of the baseline's throughput"); the others are overlay time over baseline time.

    python3 benchmarks/full_results.py BenchmarkDotNet.Artifacts/results/*-report-full.json \\
        [--latency benchmarks/results/DATE-full.json] [--out TABLES.md] \\
        [--json benchmarks/results/DATE-full.json --label "DATE full"]

--json adds the ratios (by medians, with their range) to a results file that benchmarks/chart.py draws;
the file's other sections and ratios are kept.
"""
import argparse
import json
import math
import os
import re
import sys

DIAL = "DialBenchmarks"
HTTP = "HttpBenchmarks"
RTT = "RoundTripBenchmarks"
THROUGHPUT = "ThroughputBenchmarks"
OVERLAY_DIAL = "overlay dial (live session, E2E handshake)"

# (label, class, overlay method, baseline method, target, lower is better, throughput share)
# Parameters are filled in per parameter set found in the run.
RATIOS = [
    ("dial: overlay ÷ fresh TLS connect", DIAL, OVERLAY_DIAL, "fresh TLS connect", 0.5),
    ("dial: overlay ÷ fresh TLS relay connect", DIAL, OVERLAY_DIAL, "fresh connect through the TLS relay", None),
    ("HTTP: overlay ÷ TLS relay", HTTP, "Kestrel over UseOverlay", "Kestrel over the TLS relay", 1.5),
    ("HTTP: overlay ÷ TCP", HTTP, "Kestrel over UseOverlay", "Kestrel over TCP", None),
]
RTT_BASELINES = [("TLS relay", 1.25), ("sealed relay", None), ("TLS", None)]
THROUGHPUT_BASELINES = ["TLS relay", "sealed relay", "TLS"]

UNITS_NS = {"ns": 1.0, "us": 1e3, "μs": 1e3, "µs": 1e3, "ms": 1e6, "s": 1e9}


def from_json(path):
    """Rows {class, method, params, median, mean, lo, hi} in ns, and alloc in bytes per operation, from a BenchmarkDotNet full JSON export."""
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    rows = []
    for b in data.get("Benchmarks", []):
        stats = b.get("Statistics")
        if not stats:
            continue
        ci = stats["ConfidenceInterval"]
        rows.append({
            "class": b["Type"],
            "method": b["MethodTitle"].strip("'"),
            "params": b.get("Parameters") or "",
            "median": stats["Median"],
            "mean": stats["Mean"],
            "lo": ci["Lower"],
            "hi": ci["Upper"],
            "alloc": (b.get("Memory") or {}).get("BytesAllocatedPerOperation"),
        })
    return rows


def duration_ns(text):
    match = re.match(r"\s*([\d.,]+) (ns|us|μs|µs|ms|s)\b", text)
    if not match:
        raise ValueError(f"not a duration: {text!r}")
    return float(match.group(1).replace(",", "")) * UNITS_NS[match.group(2)]


def from_log(path):
    """The same rows from a BenchmarkDotNet log: each '// Benchmark:' header, then its result statistics."""
    rows = []
    current = None
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.rstrip("\n")
            header = re.match(r"// Benchmark: (\w+)\.(.+?): \w+(?: \[(.*)\])?$", line)
            if header:
                current = {"class": header.group(1), "method": header.group(2).strip("'"), "params": header.group(3) or ""}
                continue
            if current is None:
                continue
            mean = re.match(r"Mean = ([^,]+), StdErr", line)
            if mean:
                current["mean"] = duration_ns(mean.group(1))
            median = re.search(r"Median = ([^,]+),", line)
            if median and line.startswith("Min = "):
                current["median"] = duration_ns(median.group(1))
            ci = re.match(r"ConfidenceInterval = \[([^;]+); ([^\]]+)\]", line)
            if ci:
                current["lo"], current["hi"] = duration_ns(ci.group(1)), duration_ns(ci.group(2))
                if "mean" in current and "median" in current:
                    rows.append(current)
                current = None
    return rows


def load(paths):
    rows = []
    for path in paths:
        rows.extend(from_json(path) if path.endswith(".json") else from_log(path))
    if not rows:
        sys.exit(f"no benchmark statistics found in {', '.join(paths)}")
    return rows


def verdict(lo, hi, central, target, lower_is_better):
    if target is None:
        return ""
    meets = (lambda v: v <= target) if lower_is_better else (lambda v: v >= target)
    if meets(lo) and meets(hi):
        return "met"
    return "not confirmed" if meets(central) else "not met"


def ratio(label, overlay, baseline, target, lower_is_better=True, share=False):
    """One ratio row; a share divides the baseline's time by the overlay's."""
    a, b = (baseline, overlay) if share else (overlay, baseline)
    median = a["median"] / b["median"]
    # A time is never negative: an interval that reaches below zero (few iterations, wide spread) is
    # cut at zero, and a denominator that may be zero leaves the range unbounded above.
    lo = max(a["lo"], 0.0) / b["hi"]
    hi = a["hi"] / b["lo"] if b["lo"] > 0 else math.inf
    return {
        "label": label,
        "median": median,
        "mean": a["mean"] / b["mean"],
        "lo": lo,
        "hi": hi,
        "target": target,
        "lowerIsBetter": lower_is_better,
        "verdict": verdict(lo, hi, median, target, lower_is_better),
    }


def ratios(rows):
    def get(cls, method, params=""):
        return next((r for r in rows if r["class"] == cls and r["method"] == method and r["params"] == params), None)

    out = []
    for label, cls, overlay, baseline, target in RATIOS:
        if get(cls, overlay) and get(cls, baseline):
            out.append(ratio(label, get(cls, overlay), get(cls, baseline), target))
    for params in sorted({r["params"] for r in rows if r["class"] == RTT}, key=lambda p: int(re.sub(r"\D", "", p) or 0)):
        size = params.split("=")[-1]
        for baseline, target in RTT_BASELINES:
            if get(RTT, "overlay", params) and get(RTT, baseline, params):
                out.append(ratio(f"round trip {size} B: overlay ÷ {baseline}", get(RTT, "overlay", params), get(RTT, baseline, params), target))
    for params in sorted({r["params"] for r in rows if r["class"] == THROUGHPUT}, key=lambda p: int(re.sub(r"\D", "", p) or 0)):
        streams = params.split("=")[-1]
        for baseline in THROUGHPUT_BASELINES:
            target = (0.8 if streams == "1" else 0.9) if baseline == "TLS relay" else None
            if get(THROUGHPUT, "overlay", params) and get(THROUGHPUT, baseline, params):
                out.append(ratio(f"throughput {streams} stream(s): overlay's share of {baseline}'s", get(THROUGHPUT, "overlay", params),
                                 get(THROUGHPUT, baseline, params), target, lower_is_better=False, share=True))
    return out


def latency_ratios(path):
    """p50 and p99 ratios of single round trips and dials from a latency-mode results file (no interval: one distribution each)."""
    with open(path, encoding="utf-8") as f:
        section = json.load(f).get("sections", {}).get("latency")
    if not section:
        sys.exit(f"{path} has no latency section (run the latency mode with --json {path})")
    out = []
    for size in (64, 4096):
        by_name = {d["name"]: d for d in section.get(f"roundTrip{size}", [])}
        overlay = by_name.get("overlay")
        for baseline, targets in (("TLS relay", {"p50": 1.25, "p99": 1.5}), ("TLS", {})):
            if overlay and baseline in by_name:
                for p in ("p50", "p99"):
                    value = overlay[f"{p}Us"] / by_name[baseline][f"{p}Us"]
                    target = targets.get(p)
                    out.append({"label": f"round trip {size} B {p}: overlay ÷ {baseline}", "value": value, "target": target,
                                "verdict": "" if target is None else ("met" if value <= target else "not met")})
    return out


def markdown(rows, computed, latency):
    fmt = lambda v: "∞" if math.isinf(v) else f"{v:.2f}"
    bound = lambda r: "" if r["target"] is None else ("≤ " if r["lowerIsBetter"] else "≥ ") + f"{r['target']:g}"
    lines = ["| ratio | by medians | by means | range from the 99.9% CIs of the means | target | verdict |",
             "|---|---:|---:|---|---|---|"]
    lines += [f"| {r['label']} | {fmt(r['median'])} | {fmt(r['mean'])} | {fmt(r['lo'])} – {fmt(r['hi'])} | {bound(r)} | {r['verdict']} |" for r in computed]
    if latency:
        lines += ["", "Single operations, from the latency mode's distributions (one run; no interval):", "",
                  "| ratio | value | target | verdict |", "|---|---:|---|---|"]
        lines += [f"| {r['label']} | {fmt(r['value'])} | {'' if r['target'] is None else '≤ ' + format(r['target'], 'g')} | {r['verdict']} |" for r in latency]
    lines += ["", "| benchmark | params | median (us) | mean (us) | 99.9% CI of mean (us) |", "|---|---|---:|---:|---|"]
    # Grouped by class and parameter set; within a group, the run's order (the classes' declaration order).
    ordered = sorted(rows, key=lambda r: (r["class"], int(re.sub(r"\D", "", r["params"]) or 0)))
    lines += [f"| {r['class']} {r['method']} | {r['params']} | {r['median'] / 1e3:.1f} | {r['mean'] / 1e3:.1f} | [{r['lo'] / 1e3:.1f}; {r['hi'] / 1e3:.1f}] |" for r in ordered]
    return "\n".join(lines) + "\n"


def write_results(path, label, computed, latency):
    data = {}
    if os.path.exists(path):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    if label:
        data["run"] = label
    data.setdefault("run", os.path.splitext(os.path.basename(path))[0])
    data.setdefault("sections", {})
    ratios_out = data.setdefault("ratios", {})
    for r in computed:
        ratios_out[f"full: {r['label']}"] = {"value": round(r["median"], 4), "range": [round(r["lo"], 4), round(r["hi"], 4) if math.isfinite(r["hi"]) else None],
                                             "target": r["target"], "lowerIsBetter": r["lowerIsBetter"]}
    for r in latency:
        ratios_out[f"latency: {r['label']}"] = {"value": round(r["value"], 4), "target": r["target"], "lowerIsBetter": True}
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False)
        f.write("\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", help="BenchmarkDotNet *-report-full.json exports or BenchmarkRun-*.log logs")
    parser.add_argument("--latency", help="a results file the latency mode wrote (--json), for p50 and p99 rows")
    parser.add_argument("--out", help="write the markdown here instead of printing it")
    parser.add_argument("--json", help="add the ratios to this results file (for benchmarks/chart.py)")
    parser.add_argument("--label", help="the run's label in --json (default: kept, or the file's name)")
    args = parser.parse_args()
    rows = load(args.inputs)
    computed = ratios(rows)
    latency = latency_ratios(args.latency) if args.latency else []
    text = markdown(rows, computed, latency)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {args.out} ({len(rows)} benchmarks, {len(computed)} ratios)")
    else:
        sys.stdout.write(text)
    if args.json:
        write_results(args.json, args.label, computed, latency)
        print(f"ratios added to {args.json}; draw them with: python3 benchmarks/chart.py", file=sys.stderr)


if __name__ == "__main__":
    main()
