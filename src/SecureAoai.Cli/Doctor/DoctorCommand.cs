using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SecureAoai.Client.Networking;

namespace SecureAoai.Cli;

/// <summary>
/// <c>secureaoai doctor</c>: resolves the endpoint as the SDK would, classifies each address,
/// applies the network policy and prints the verdict with the fix. Exits 1 on a problem.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var endpoint = new Option<Uri>("--endpoint")
        {
            Description = "The resource endpoint, such as https://NAME.openai.azure.com/",
            Required = true,
            CustomParser = result => Uri.TryCreate(result.Tokens[0].Value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
                ? uri
                : Fail<Uri>(result, $"--endpoint '{result.Tokens[0].Value}' is not an https URL such as https://NAME.openai.azure.com/."),
        };
        var dnsServers = new Option<string[]>("--dns-server")
        {
            Description = "A DNS server to ask instead of the system resolver, IP[:port]; repeat for more, asked in order",
        };
        var overrides = new Option<string[]>("--host-override")
        {
            Description = "A fixed answer, HOST=IP[,IP]; repeat for more",
            CustomParser = result => Validated(result, static s => s.IndexOf('=', StringComparison.Ordinal) > 0, "is not HOST=IP[,IP]"),
        };
        var policy = new Option<NetworkPolicy>("--policy")
        {
            Description = "RequirePrivate (default), PreferPrivate or AllowPublic",
            DefaultValueFactory = _ => NetworkPolicy.RequirePrivate,
        };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON" };

        var command = new Command("doctor", "Check that the endpoint resolves to addresses the network policy allows, and say how to fix it if not.")
        {
            endpoint, dnsServers, overrides, policy, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var options = new SecureOpenAINetworkOptions { Policy = parse.GetValue(policy), DnsServers = [.. parse.GetValue(dnsServers) ?? []] };
            foreach (var entry in parse.GetValue(overrides) ?? [])
            {
                var equals = entry.IndexOf('=', StringComparison.Ordinal);
                options.HostOverrides[entry[..equals]] = entry[(equals + 1)..];
            }

            var target = parse.GetValue(endpoint)!;
            EndpointNetworkReport report;
            try
            {
                report = await EndpointNetworkDiagnostics.CheckAsync(target, options, cancellationToken).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                // The settings are checked by the same rules as SecureOpenAI:Network at start-up.
                await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return CliApp.UsageError;
            }

            await output.WriteLineAsync(parse.GetValue(json) ? ToJson(target, report) : ToText(target, report)).ConfigureAwait(false);
            return report.IsAllowed ? 0 : CliApp.ProblemFound;
        });
        return command;
    }

    private static string ToText(Uri endpoint, EndpointNetworkReport report)
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
        lines.Add(string.Empty);
        lines.Add(report.Explanation);
        return string.Join(Environment.NewLine, lines);
    }

    private static string ToJson(Uri endpoint, EndpointNetworkReport report)
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

        var root = new JsonObject
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
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static string[] Validated(System.CommandLine.Parsing.ArgumentResult result, Func<string, bool> isValid, string problem)
    {
        var values = result.Tokens.Select(t => t.Value).ToArray();
        foreach (var value in values.Where(v => !isValid(v)))
        {
            result.AddError($"{result.Parent?.ToString() ?? "value"} '{value}' {problem}.");
        }

        return values;
    }

    private static T Fail<T>(System.CommandLine.Parsing.ArgumentResult result, string message)
    {
        result.AddError(message);
        return default!;
    }
}
