#!/usr/bin/env python3
"""The client pipeline's ratios (issue #13) from a full-mode ClientPipelineBenchmarks run, standard library only.

Reads the run's full JSON export (BenchmarkDotNet.Artifacts/results/*ClientPipelineBenchmarks-report-full.json).
For each round (SECUREAOAI_BENCH_ROUNDS; the raw and the secured client take turns, each in a process of its
own) it prints both medians, the ratio of the medians, the range of the ratio from the 99.9 % confidence
intervals of the means (lowest secured over highest raw, highest secured over lowest raw) and the ratio of
allocations. With several rounds it adds the geometric mean of the rounds' median ratios and a 95 %
interval for it from their spread (Student's t): the rounds are separate pairs of processes, so their
spread is the run-to-run noise that one round's own interval does not see.

A target (default 1.02) is "met" only when the whole range is within it, "not met" when the ratio misses
it, "not confirmed" otherwise.

    python3 benchmarks/client_ratio.py BenchmarkDotNet.Artifacts/results/SecureAoai.Benchmarks.ClientPipelineBenchmarks-report-full.json [--target 1.02]
"""
import argparse
import json
import math
import statistics
import sys

# Two-sided 95 % quantiles of Student's t, by degrees of freedom (1-10); beyond, 1.96 is close enough.
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}


def verdict(low, high, value, target):
    if high <= target:
        return "met"
    if value > target:
        return "not met"
    return "not confirmed"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report", help="the run's *ClientPipelineBenchmarks-report-full.json")
    parser.add_argument("--target", type=float, default=1.02, help="the p50 target as a ratio (default 1.02)")
    args = parser.parse_args()
    with open(args.report, encoding="utf-8") as f:
        benchmarks = json.load(f)["Benchmarks"]

    rounds = {}
    for b in benchmarks:
        if "ClientPipelineBenchmarks" not in b["Type"]:
            continue
        key = b.get("Parameters") or "Round=1"
        rounds.setdefault(key, {})["raw" if b["Method"] == "Raw" else "secure"] = b
    if not rounds:
        sys.exit(f"{args.report}: no ClientPipelineBenchmarks results")

    print("| round | raw median | secured median | median ratio | range of the ratio (99.9 % CIs) | alloc ratio | p50 target |")
    print("|---|---:|---:|---:|---|---:|---|")
    ratios = []
    for key in sorted(rounds, key=lambda k: int(k.split("=")[-1]) if k.split("=")[-1].isdigit() else 0):
        pair = rounds[key]
        if "raw" not in pair or "secure" not in pair:
            print(f"| {key} | (incomplete) |||||")
            continue
        raw, secure = pair["raw"]["Statistics"], pair["secure"]["Statistics"]
        ratio = secure["Median"] / raw["Median"]
        # An interval that reaches zero (a handful of iterations) bounds nothing.
        low = max(0.0, secure["ConfidenceInterval"]["Lower"]) / raw["ConfidenceInterval"]["Upper"]
        raw_low = raw["ConfidenceInterval"]["Lower"]
        high = secure["ConfidenceInterval"]["Upper"] / raw_low if raw_low > 0 else math.inf
        alloc = pair["secure"]["Memory"]["BytesAllocatedPerOperation"] / pair["raw"]["Memory"]["BytesAllocatedPerOperation"]
        ratios.append(ratio)
        print(f"| {key} | {raw['Median'] / 1000:.1f} us | {secure['Median'] / 1000:.1f} us | {ratio:.3f} | {low:.2f} - {high:.2f} | {alloc:.2f} | {verdict(low, high, ratio, args.target)} |")

    if len(ratios) > 1:
        logs = [math.log(r) for r in ratios]
        mean = statistics.fmean(logs)
        margin = T95.get(len(logs) - 1, 1.96) * statistics.stdev(logs) / math.sqrt(len(logs))
        low, high = math.exp(mean - margin), math.exp(mean + margin)
        print(f"\n{len(ratios)} rounds: geometric mean of the median ratios {math.exp(mean):.3f}, "
              f"95 % interval {low:.3f} - {high:.3f} (spread of the rounds: {min(ratios):.3f} - {max(ratios):.3f}); "
              f"p50 target {args.target}: {verdict(low, high, math.exp(mean), args.target)}")


if __name__ == "__main__":
    main()
