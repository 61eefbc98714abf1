using System.CommandLine;
using SecureAoai.Client;
using SecureAoai.Client.Diagnostics;
using SecureAoai.Client.Networking;

namespace SecureAoai.Cli.Doctor;

/// <summary>
/// <c>secureaoai doctor</c>: checks the app's path to Azure OpenAI in order (DNS and network policy,
/// TLS, credential, token claims, the models list and each deployment), stops at the first failure
/// and prints it with the fix. Exits 0 when every check passes, 1 when one fails, 2 on a bad
/// command line. The checks are the library's (<see cref="SecureOpenAIDiagnostics"/>); this command
/// only reads the flags, prints, and picks the exit code.
/// </summary>
internal static class DoctorCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var flags = new DoctorFlags();
        var command = new Command(
            "doctor",
            "Check the path to Azure OpenAI in order (DNS and network policy, TLS, credential, token, models list, deployments), stop at the first failure and say how to fix it.");
        flags.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var options = flags.ToOptions(parse);
                var json = flags.Json(parse);
                return flags.NetworkOnly(parse)
                    ? await CheckNetworkAsync(options, json, output, cancellationToken).ConfigureAwait(false)
                    : await DiagnoseAsync(options, json, output, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is DoctorUsageException or ArgumentException)
            {
                // The settings are checked by the same rules as AddSecureOpenAI's at start-up.
                await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
                return CliApp.UsageError;
            }
        });
        return command;
    }

    private static async Task<int> DiagnoseAsync(SecureOpenAIOptions options, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        var report = await SecureOpenAIDiagnostics.RunAsync(options, new CliHostEnvironment(), timeProvider: null, cancellationToken).ConfigureAwait(false);
        var endpoint = options.Endpoint ?? options.Endpoints[0].Uri!;
        await output.WriteLineAsync(json ? DoctorOutput.Json(endpoint, report) : DoctorOutput.Text(endpoint, report)).ConfigureAwait(false);
        return report.IsHealthy ? 0 : CliApp.ProblemFound;
    }

    /// <summary>
    /// Only the DNS answer and the network policy, for each endpoint; nothing is sent to any of them.
    /// JSON is one report per endpoint: an object for one endpoint, as doctor always printed, an array for several.
    /// </summary>
    private static async Task<int> CheckNetworkAsync(SecureOpenAIOptions options, bool json, TextWriter output, CancellationToken cancellationToken)
    {
        IReadOnlyList<(Uri Endpoint, SecureOpenAINetworkOptions Network)> endpoints = options.Endpoints.Count == 0
            ? [(options.Endpoint!, options.Network)]
            : [.. options.Endpoints.Select(e => (e.Uri!, e.Network ?? options.Network))];
        var printed = new List<string>();
        var exitCode = 0;
        foreach (var (endpoint, network) in endpoints)
        {
            var report = await EndpointNetworkDiagnostics.CheckAsync(endpoint, network, cancellationToken).ConfigureAwait(false);
            printed.Add(json ? DoctorOutput.NetworkOnlyJson(endpoint, report) : DoctorOutput.NetworkText(endpoint, report));
            exitCode = report.IsAllowed ? exitCode : CliApp.ProblemFound;
        }

        var text = json && printed.Count > 1
            ? $"[{string.Join($",{Environment.NewLine}", printed)}]"
            : string.Join(Environment.NewLine + Environment.NewLine, printed);
        await output.WriteLineAsync(text).ConfigureAwait(false);
        return exitCode;
    }
}
