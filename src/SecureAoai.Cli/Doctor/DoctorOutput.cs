using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureAoai.Client.Diagnostics;
using SecureAoai.Client.Networking;

namespace SecureAoai.Cli.Doctor;

/// <summary>Doctor's report as text for a person or JSON for a script. Prints what the library found; never a token or key, since the report holds none.</summary>
internal static class DoctorOutput
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static string Name(SecureOpenAIDiagnosticCheck check) => check switch
    {
        SecureOpenAIDiagnosticCheck.DataPlane => "data-plane",
        _ => check.ToString().ToLowerInvariant(),
    };

    /// <summary>The network check alone, as doctor printed it before it checked more: the block, then the explanation.</summary>
    public static string NetworkText(Uri endpoint, EndpointNetworkReport report) =>
        string.Join(Environment.NewLine, [.. NetworkBlock(endpoint, report), string.Empty, report.Explanation]);

    public static string Text(Uri endpoint, SecureOpenAIDiagnosticReport report)
    {
        var lines = new List<string>();
        foreach (var step in report.Steps.Where(s => s.Network is not null))
        {
            lines.AddRange(NetworkBlock(step.Endpoint!, step.Network!));
            lines.Add(string.Empty);
        }

        if (lines.Count == 0)
        {
            lines.AddRange([$"secureaoai doctor  {endpoint}", string.Empty]);
        }

        foreach (var step in report.Steps)
        {
            var where = step.Deployment is { } deployment ? $"{deployment} at {step.Endpoint}" : step.Endpoint?.ToString();
            var detail = where is null ? step.Detail : $"{where}: {step.Detail}";
            lines.Add($"  {Name(step.Check),-11} {Status(step.Status),-8} {Indent(detail, 23)}");
        }

        lines.Add(string.Empty);
        if (report.Failure is not { } failed)
        {
            lines.Add("OK: every check passed.");
        }
        else
        {
            lines.Add($"FAILED at {Name(failed.Check)}{(failed.Deployment is { } name ? $" {name}" : "")}{(failed.Endpoint is { } at ? $" ({at})" : "")}");
            lines.Add($"fix: {Indent(failed.Fix ?? "", 5)}");
            if (Flags(failed) is { Count: > 0 } flags)
            {
                lines.Add($"     On this command line: {string.Join(", ", flags.Select(f => $"{f.Flag} sets {f.Setting}"))}.");
            }
        }

        return string.Join(Environment.NewLine, lines);
    }

    /// <summary>
    /// The network fields doctor always printed, from the first endpoint's network step, plus
    /// <c>ok</c> and every step with its name, status, detail, fix and the settings and flags it names.
    /// </summary>
    public static string Json(Uri endpoint, SecureOpenAIDiagnosticReport report)
    {
        var root = report.Steps.FirstOrDefault(s => s.Network is not null) is { Network: { } network }
            ? NetworkJson(endpoint, network)
            : new JsonObject { ["endpoint"] = endpoint.ToString() };
        root["ok"] = report.IsHealthy;
        var steps = new JsonArray();
        foreach (var step in report.Steps)
        {
            steps.Add(new JsonObject
            {
                ["name"] = Name(step.Check),
                ["endpoint"] = step.Endpoint?.ToString(),
                ["deployment"] = step.Deployment,
                ["status"] = step.Status.ToString().ToLowerInvariant(),
                ["detail"] = step.Detail,
                ["fix"] = step.Fix,
                ["settings"] = new JsonArray([.. step.Settings.Select(s => (JsonNode)s)]),
                ["flags"] = new JsonArray([.. Flags(step).Select(f => (JsonNode)f.Flag)]),
            });
        }

        root["steps"] = steps;
        return root.ToJsonString(Indented);
    }

    /// <summary>The network check alone, in the shape doctor's JSON always had.</summary>
    public static string NetworkOnlyJson(Uri endpoint, EndpointNetworkReport report) => NetworkJson(endpoint, report).ToJsonString(Indented);

    private static JsonObject NetworkJson(Uri endpoint, EndpointNetworkReport report)
    {
        var addresses = new JsonArray();
        foreach (var (address, kind) in report.Addresses)
        {
            addresses.Add(new JsonObject
            {
                ["address"] = address.ToString(),
                ["class"] = kind.ToString(),
                ["allowed"] = report.AllowedAddresses.Contains(address),
            });
        }

        return new JsonObject
        {
            ["endpoint"] = endpoint.ToString(),
            ["host"] = report.Host,
            ["policy"] = report.Policy.ToString(),
            ["resolver"] = report.Source,
            ["chain"] = new JsonArray([.. report.Chain.Select(n => (JsonNode)n)]),
            ["addresses"] = addresses,
            ["allowed"] = report.IsAllowed,
            ["publicFallback"] = report.PublicFallback,
            ["failure"] = report.Failure?.ToString(),
            ["explanation"] = report.Explanation,
        };
    }

    private static List<string> NetworkBlock(Uri endpoint, EndpointNetworkReport report)
    {
        var lines = new List<string>
        {
            $"secureaoai doctor  {endpoint}",
            $"  resolver  {report.Source ?? "(no answer)"}",
            $"  policy    {report.Policy}",
        };
        if (report.Chain.Count > 0)
        {
            lines.Add($"  chain     {string.Join(" → ", report.Chain)}");
        }

        foreach (var (address, kind) in report.Addresses)
        {
            var verdict = report.AllowedAddresses.Contains(address) ? "allowed" : "refused";
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"  address   {address,-40} {kind.ToString().ToLowerInvariant(),-10} {verdict}"));
        }

        lines.Add(report.IsAllowed ? "  verdict   OK" : $"  verdict   REFUSED ({report.Failure})");
        return lines;
    }

    private static string Status(SecureOpenAIDiagnosticStatus status) => status switch
    {
        SecureOpenAIDiagnosticStatus.Failed => "FAILED",
        _ => status.ToString().ToLowerInvariant(),
    };

    private static List<(string Flag, string Setting)> Flags(SecureOpenAIDiagnosticStep step) =>
        [.. step.Settings.Where(DoctorFlags.FlagsBySetting.ContainsKey).Select(s => (DoctorFlags.FlagsBySetting[s], s))];

    private static string Indent(string text, int columns) =>
        text.ReplaceLineEndings(Environment.NewLine + new string(' ', columns));
}
