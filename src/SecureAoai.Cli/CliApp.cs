using System.CommandLine;

namespace SecureAoai.Cli;

/// <summary>Builds the command tree; runs it with the given output writers so tests can read them.</summary>
internal static class CliApp
{
    /// <summary>Exit code of a check that found a problem.</summary>
    public const int ProblemFound = 1;

    /// <summary>Exit code of a command line that could not be understood.</summary>
    public const int UsageError = 2;

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error) => RunAsync(args, output, error, CancellationToken.None);

    /// <summary>Runs the command line; <paramref name="cancellationToken"/> stops long-running commands as Ctrl+C does.</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        var root = new RootCommand("secureaoai: check and run the zero-trust path from an app to Azure OpenAI.")
        {
            Doctor.DoctorCommand.Create(output, error),
            Overlay.OverlayCommand.Create(output, error),
            Overlay.ControllerCommand.Create(output, error),
            Overlay.RouterCommand.Create(output, error),
            Overlay.RunCommands.Host(output, error),
            Overlay.RunCommands.Tunnel(output, error),
            Overlay.LoadCommand.Create(output, error),
        };

        // No response files: '@name' is a role expression in overlay policies, not a file to expand.
        var parse = root.Parse(args, new ParserConfiguration { ResponseFileTokenReplacer = null });
        if (parse.Errors.Count > 0)
        {
            foreach (var parseError in parse.Errors)
            {
                await error.WriteLineAsync(parseError.Message).ConfigureAwait(false);
            }

            await error.WriteLineAsync("Run 'secureaoai --help' for usage.").ConfigureAwait(false);
            return UsageError;
        }

        return await parse.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken).ConfigureAwait(false);
    }
}
