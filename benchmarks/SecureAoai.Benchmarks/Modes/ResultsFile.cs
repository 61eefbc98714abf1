using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace SecureAoai.Benchmarks.Modes;

/// <summary>
/// The machine-readable side of a run (<c>--json FILE</c>), read by <c>benchmarks/chart.py</c>. One
/// file per run; each mode (the BenchmarkDotNet run, <c>latency</c>, <c>idle-streams</c>,
/// <c>allocations</c>) writes its own section into it and adds its ratios, so the modes of one run can
/// be called one after the other with the same file.
/// </summary>
/// <remarks>
/// Shape: <c>{"run": DATE-AND-LABEL, "machine": ..., "sections": {MODE: ...}, "ratios": {NAME: {"value", "target", "lowerIsBetter"}}}</c>.
/// A ratio's name is stable across runs, so the chart can follow it.
/// </remarks>
internal sealed class ResultsFile
{
    private readonly string? _path;
    private readonly JsonObject _root;

    private ResultsFile(string? path, JsonObject root)
    {
        _path = path;
        _root = root;
    }

    /// <summary>Opens the file named by <c>--json FILE</c> in <paramref name="args"/> (created if missing); with no <c>--json</c>, nothing is written.</summary>
    public static ResultsFile Open(string[] args)
    {
        var path = Arguments.Text(args, "--json");
        JsonObject root = path is not null && File.Exists(path)
            ? JsonNode.Parse(File.ReadAllText(path))!.AsObject()
            : new JsonObject();
        root["run"] ??= Arguments.Text(args, "--label") ?? DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        root["machine"] ??= $"{Environment.ProcessorCount} logical CPUs, {RuntimeInformation.OSDescription}, .NET {Environment.Version}";
        root["sections"] ??= new JsonObject();
        root["ratios"] ??= new JsonObject();
        return new ResultsFile(path, root);
    }

    /// <summary>Replaces the section of <paramref name="mode"/>.</summary>
    public void Section(string mode, JsonNode content) => _root["sections"]![mode] = content;

    /// <summary>Records a ratio; <paramref name="target"/> is the bound it should meet (at most, or at least when <paramref name="lowerIsBetter"/> is false).</summary>
    public void Ratio(string name, double value, double? target, bool lowerIsBetter = true)
    {
        _root["ratios"]![name] = new JsonObject
        {
            ["value"] = Math.Round(value, 4),
            ["target"] = target,
            ["lowerIsBetter"] = lowerIsBetter,
        };
        var verdict = target is null ? string.Empty : (lowerIsBetter ? value <= target : value >= target) ? "  met" : "  not met";
        var bound = target is null ? string.Empty : $" (target {(lowerIsBetter ? "≤" : "≥")} {target.Value.ToString("0.##", CultureInfo.InvariantCulture)})";
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name}: {value:0.###}{bound}{verdict}"));
    }

    public void Save()
    {
        if (_path is null)
        {
            return;
        }

        File.WriteAllText(_path, _root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        Console.WriteLine($"Results written to {_path}.");
    }
}

/// <summary>Command-line values of the modes: <c>--name value</c>.</summary>
internal static class Arguments
{
    public static string? Text(string[] args, string name)
    {
        var at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
    }

    public static int Number(string[] args, string name, int fallback) =>
        Text(args, name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

    /// <summary>The arguments without <c>--json FILE</c> and <c>--label TEXT</c>, for BenchmarkDotNet's own parser.</summary>
    public static string[] WithoutResultOptions(string[] args)
    {
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] is "--json" or "--label")
            {
                i++;
                continue;
            }

            rest.Add(args[i]);
        }

        return [.. rest];
    }
}
