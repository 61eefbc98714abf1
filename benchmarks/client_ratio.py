#!/usr/bin/env python3
"""The client pipeline's ratios (issue #13) from a full-mode ClientPipelineBenchmarks run, standard library only.

Reads the run's full JSON export (BenchmarkDotNet.Artifacts/results/*ClientPipelineBenchmarks-report-full.json).
For each round (SECUREAOAI_BENCH_ROUNDS; the raw and the secured client take turns, each in a process of its
own) it prints both medians, the ratio of the medians, the range of the ratio from the 99.9 % confidence
intervals of the means and the ratio of allocations, with full_results.py's rules (an interval reaching
zero bounds nothing; "met" only when the whole range is within the target). With several rounds it adds
the geometric mean of the rounds' median ratios and a 95 % interval for it from their spread (Student's
t): the rounds are separate pairs of processes, so their spread is the run-to-run noise that one round's
own interval does not see.

    python3 benchmarks/client_ratio.py BenchmarkDotNet.Artifacts/results/SecureAoai.Benchmarks.ClientPipelineBenchmarks-report-full.json [--target 1.02]
"""
import argparse
import math
import statistics
import sys

from full_results import from_json, ratio, verdict

# Two-sided 95 % quantiles of Student's t, by degrees of freedom (1-10); beyond, 1.96 is close enough.
T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228}

RAW = "raw OpenAI client"
SECURED = "through AddSecureOpenAI"


def round_number(params):
    text = params.split("=")[-1]
    return int(text) if text.isdigit() else 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("report", help="the run's *ClientPipelineBenchmarks-report-full.json")
    parser.add_argument("--target", type=float, default=1.02, help="the p50 target as a ratio (default 1.02)")
    args = parser.parse_args()

    rounds = {}
    for row in from_json(args.report):
        if row["class"].endswith("ClientPipelineBenchmarks") and row["method"] in (RAW, SECURED):
            rounds.setdefault(row["params"] or "Round=1", {})[row["method"]] = row
    if not rounds:
        sys.exit(f"{args.report}: no ClientPipelineBenchmarks results")

    print("| round | raw median | secured median | median ratio | range of the ratio (99.9 % CIs) | alloc ratio | p50 target |")
    print("|---|---:|---:|---:|---|---:|---|")
    medians = []
    for key in sorted(rounds, key=round_number):
        pair = rounds[key]
        if RAW not in pair or SECURED not in pair:
            print(f"| {key} | (incomplete) |||||")
            continue
        raw, secured = pair[RAW], pair[SECURED]
        r = ratio(key, secured, raw, args.target)
        alloc = f"{secured['alloc'] / raw['alloc']:.2f}" if raw["alloc"] and secured["alloc"] is not None else "-"
        medians.append(r["median"])
        print(f"| {key} | {raw['median'] / 1000:.1f} us | {secured['median'] / 1000:.1f} us | {r['median']:.3f} | "
              f"{r['lo']:.2f} - {r['hi']:.2f} | {alloc} | {r['verdict']} |")

    if len(medians) > 1:
        logs = [math.log(m) for m in medians]
        mean = statistics.fmean(logs)
        margin = T95.get(len(logs) - 1, 1.96) * statistics.stdev(logs) / math.sqrt(len(logs))
        low, high = math.exp(mean - margin), math.exp(mean + margin)
        print(f"\n{len(medians)} rounds: geometric mean of the median ratios {math.exp(mean):.3f}, "
              f"95 % interval {low:.3f} - {high:.3f} (spread of the rounds: {min(medians):.3f} - {max(medians):.3f}); "
              f"p50 target {args.target}: {verdict(low, high, math.exp(mean), args.target, lower_is_better=True)}")


if __name__ == "__main__":
    main()
