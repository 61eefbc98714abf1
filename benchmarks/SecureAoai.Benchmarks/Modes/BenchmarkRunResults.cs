using System.Text.Json.Nodes;
using BenchmarkDotNet.Reports;

namespace SecureAoai.Benchmarks.Modes;

/// <summary>Puts a BenchmarkDotNet run (quick or full) into the results file: every row, and the overlay's ratios against direct TLS and the TLS relay, computed within each benchmark class and parameter set.</summary>
internal static class BenchmarkRunResults
{
    public static void Record(IEnumerable<Summary> summaries, ResultsFile results, string mode)
    {
        var rows = summaries.SelectMany(s => s.Reports)
            .Where(r => r.ResultStatistics is not null)
            .Select(r => new Row(
                r.BenchmarkCase.Descriptor.Type.Name,
                r.BenchmarkCase.Descriptor.WorkloadMethodDisplayInfo.Trim('\''),
                r.BenchmarkCase.Parameters.DisplayInfo,
                r.ResultStatistics!.Mean,
                r.ResultStatistics.Median,
                r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase)))
            .ToList();
        results.Section(mode, new JsonArray([.. rows.Select(r => new JsonObject
        {
            ["class"] = r.Class,
            ["method"] = r.Method,
            ["parameters"] = r.Parameters,
            ["meanNs"] = Math.Round(r.MeanNs, 1),
            ["medianNs"] = Math.Round(r.MedianNs, 1),
            ["allocatedBytes"] = r.AllocatedBytes,
        })]));

        Console.WriteLine();
        Console.WriteLine($"Ratios of this {mode} run (means, within each class and parameter set):");
        foreach (var group in rows.GroupBy(r => (r.Class, r.Parameters)))
        {
            double? Mean(string method) => group.FirstOrDefault(r => r.Method == method)?.MeanNs;
            var suffix = group.Key.Parameters.Length == 0 ? string.Empty : $" ({group.Key.Parameters})";
            switch (group.Key.Class)
            {
                case nameof(RoundTripBenchmarks):
                    Ratio(results, mode, $"RTT mean{suffix}, overlay ÷ TLS relay", Mean("overlay"), Mean("TLS relay"), 1.25);
                    Ratio(results, mode, $"RTT mean{suffix}, overlay ÷ sealed relay", Mean("overlay"), Mean("sealed relay"), null);
                    Ratio(results, mode, $"RTT mean{suffix}, overlay ÷ TLS", Mean("overlay"), Mean("TLS"), null);
                    break;
                case nameof(ThroughputBenchmarks):
                    var oneStream = group.Key.Parameters == "[Streams=1]"; // BenchmarkDotNet's DisplayInfo brackets the parameters
                    Ratio(results, mode, $"throughput{suffix}, overlay ÷ TLS relay", Mean("TLS relay"), Mean("overlay"), oneStream ? 0.8 : 0.9, lowerIsBetter: false);
                    Ratio(results, mode, $"throughput{suffix}, overlay ÷ sealed relay", Mean("sealed relay"), Mean("overlay"), null, lowerIsBetter: false);
                    Ratio(results, mode, $"throughput{suffix}, overlay ÷ TLS", Mean("TLS"), Mean("overlay"), null, lowerIsBetter: false);
                    break;
                case nameof(DialBenchmarks):
                    Ratio(results, mode, "dial mean, overlay ÷ fresh TLS connect", Mean("overlay dial (live session, E2E handshake)"), Mean("fresh TLS connect"), 0.5);
                    Ratio(results, mode, "dial mean, overlay ÷ fresh TLS relay connect", Mean("overlay dial (live session, E2E handshake)"), Mean("fresh connect through the TLS relay"), null);
                    break;
                case nameof(HttpBenchmarks):
                    Ratio(results, mode, "HTTP mean, overlay ÷ TLS relay", Mean("Kestrel over UseOverlay"), Mean("Kestrel over the TLS relay"), 1.5);
                    Ratio(results, mode, "HTTP mean, overlay ÷ TCP", Mean("Kestrel over UseOverlay"), Mean("Kestrel over TCP"), null);
                    break;
            }
        }

        results.Save();
    }

    /// <summary>Throughput ratios are time ÷ time upside down (baseline time over overlay time), so they read as "overlay has X of the baseline's throughput".</summary>
    private static void Ratio(ResultsFile results, string mode, string name, double? numerator, double? denominator, double? target, bool lowerIsBetter = true)
    {
        if (numerator is { } n && denominator is { } d && d > 0)
        {
            results.Ratio($"{mode}: {name}", n / d, target, lowerIsBetter);
        }
    }

    private sealed record Row(string Class, string Method, string Parameters, double MeanNs, double MedianNs, long? AllocatedBytes);
}
