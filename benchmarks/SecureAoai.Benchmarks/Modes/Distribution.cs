using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace SecureAoai.Benchmarks.Modes;

/// <summary>
/// Single operations timed one by one (wall clock, <see cref="Stopwatch"/>), with the process CPU time
/// they cost: the percentiles come from the measured distribution, not from iteration means.
/// </summary>
internal sealed class Distribution(string name)
{
    private readonly List<double> _micros = [];
    private TimeSpan _cpu;

    public string Name { get; } = name;

    public int Count => _micros.Count;

    /// <summary>Process CPU time (every thread: client, relay or router, server) per operation, in µs. Other processes' load does not count, so it is steadier than wall time on a busy machine.</summary>
    public double CpuMicrosPerOperation => Count == 0 ? double.NaN : _cpu.TotalMicroseconds / Count;

    /// <summary>
    /// Times <paramref name="operations"/> one after another in <paramref name="rounds"/> rounds that
    /// take turns between the distributions, so load that comes and goes on the machine falls on all of
    /// them alike. Stops early (keeping what it has) once <paramref name="deadline"/> has passed.
    /// </summary>
    public static async Task MeasureAsync(IReadOnlyList<(Distribution Into, Func<Task> Operation)> operations, int countEach, int rounds, Stopwatch clock, TimeSpan deadline)
    {
        var perRound = Math.Max(1, countEach / rounds);
        using var process = Process.GetCurrentProcess();
        for (var round = 0; round < rounds && clock.Elapsed < deadline; round++)
        {
            foreach (var (into, operation) in operations)
            {
                process.Refresh();
                var cpuBefore = process.TotalProcessorTime;
                for (var i = 0; i < perRound; i++)
                {
                    var start = Stopwatch.GetTimestamp();
                    await operation();
                    into._micros.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
                }

                process.Refresh();
                into._cpu += process.TotalProcessorTime - cpuBefore;
            }
        }
    }

    public double Percentile(double quantile)
    {
        if (Count == 0)
        {
            return double.NaN;
        }

        var sorted = _micros.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    public JsonObject ToJson() => new()
    {
        ["name"] = Name,
        ["count"] = Count,
        ["p50Us"] = Math.Round(Percentile(0.50), 2),
        ["p90Us"] = Math.Round(Percentile(0.90), 2),
        ["p99Us"] = Math.Round(Percentile(0.99), 2),
        ["meanUs"] = Math.Round(_micros.Average(), 2),
        ["cpuUsPerOp"] = Math.Round(CpuMicrosPerOperation, 2),
    };

    /// <summary>Prints one line per distribution, with p50 and p99 ratios against <paramref name="baselines"/>.</summary>
    public static void Print(string title, IReadOnlyList<Distribution> all, params Distribution[] baselines)
    {
        Console.WriteLine();
        Console.WriteLine(title);
        var header = "| transport | n | p50 µs | p90 µs | p99 µs | CPU µs/op |" + string.Concat(baselines.Select(b => $" p50 ÷ {b.Name} | p99 ÷ {b.Name} |"));
        Console.WriteLine(header);
        Console.WriteLine("|" + string.Concat(Enumerable.Repeat("---|", 6 + (2 * baselines.Length))));
        foreach (var d in all)
        {
            var ratios = string.Concat(baselines.Select(b => string.Create(CultureInfo.InvariantCulture, $" {d.Percentile(0.5) / b.Percentile(0.5):0.00}× | {d.Percentile(0.99) / b.Percentile(0.99):0.00}× |")));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {d.Name} | {d.Count} | {d.Percentile(0.5):0.0} | {d.Percentile(0.9):0.0} | {d.Percentile(0.99):0.0} | {d.CpuMicrosPerOperation:0.0} |{ratios}"));
        }
    }
}
