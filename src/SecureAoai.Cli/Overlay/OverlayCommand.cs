using System.CommandLine;
using System.CommandLine.Parsing;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Cli.Overlay;

/// <summary>
/// <c>secureaoai overlay</c>: administers an overlay directory (init, identities, enrollment,
/// services, policies, listings). Never prints a token or key: tokens go to the --out file.
/// </summary>
internal static class OverlayCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("overlay", "Administer an overlay network: its CA, identities, services and policies.")
        {
            InitCommand(output, error),
            OverlayIdentityCommand.Create(output, error),
            EnrollCommand(output, error),
            OverlayServiceCommand.Create(output, error),
            OverlayPolicyCommand.Create(output, error),
            OverlayListCommand.Create(output, error),
        };
        return command;
    }

    /// <summary>The --dir option every administrative command takes.</summary>
    public static Option<string> DirectoryOption() => new("--dir")
    {
        Description = "The overlay directory (ca.pem, ca.key, overlay.db)",
        Required = true,
    };

    /// <summary>A comma-separated list option such as --roles a,b.</summary>
    public static Option<string[]> ListOption(string name, string description) => new(name)
    {
        Description = description,
        AllowMultipleArgumentsPerToken = true,
        CustomParser = result => [.. result.Tokens.SelectMany(t => t.Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))],
    };

    /// <summary>Runs an administrative action against an open overlay, mapping failures to exit codes: bad input 2, other problems 1.</summary>
    public static async Task<int> RunAsync(TextWriter error, Func<Task<int>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return CliApp.UsageError;
        }
        catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException or IOException or UnauthorizedAccessException or OverlayEnrollmentException)
        {
            await error.WriteLineAsync(ex.Message).ConfigureAwait(false);
            return CliApp.ProblemFound;
        }
    }

    private static Command InitCommand(TextWriter output, TextWriter error)
    {
        var dir = DirectoryOption();
        var controller = new Option<string>("--controller")
        {
            Description = "The controller's address as identities will reach it, HOST:PORT",
            Required = true,
            Validators = { result => Check(result, "is not HOST:PORT, such as 127.0.0.1:6262") },
        };
        var command = new Command("init", "Create a new overlay: its CA (ca.pem, ca.key with mode 0600) and state (overlay.db).") { dir, controller };
        command.SetAction((parse, _) => RunAsync(error, async () =>
        {
            using var overlay = OverlayController.Initialize(parse.GetValue(dir)!, parse.GetValue(controller)!);
            await output.WriteLineAsync($"Initialized overlay in {overlay.Directory}").ConfigureAwait(false);
            await output.WriteLineAsync($"  controller      {overlay.ControllerAddress}").ConfigureAwait(false);
            await output.WriteLineAsync($"  CA fingerprint  {overlay.CertificateAuthority.Fingerprint} (SHA-256)").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static Command EnrollCommand(TextWriter output, TextWriter error)
    {
        var jwt = new Option<FileInfo>("--jwt") { Description = "The one-time token file from 'overlay identity create'", Required = true };
        var outPath = new Option<string>("--out") { Description = "Where to write the identity file (mode 0600); must not exist", Required = true };
        var command = new Command("enroll", "Enroll this machine: make a key here, send the token and a CSR to the controller, write the identity file.") { jwt, outPath };
        command.SetAction((parse, cancellationToken) => RunAsync(error, async () =>
        {
            var file = parse.GetValue(jwt)!;
            if (!file.Exists)
            {
                await error.WriteLineAsync($"--jwt '{file.FullName}' does not exist; pass the file written by 'secureaoai overlay identity create --out'.").ConfigureAwait(false);
                return CliApp.UsageError;
            }

            var token = await File.ReadAllTextAsync(file.FullName, cancellationToken).ConfigureAwait(false);
            using var identity = await EnrollmentClient.EnrollAsync(token, parse.GetValue(outPath)!, cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync($"Enrolled '{identity.Name}' with {identity.ControllerAddress}; identity file {parse.GetValue(outPath)} (mode 0600). Delete {file.Name}: it cannot be used again.").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    internal static void Check(OptionResult result, string problem)
    {
        var value = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (!HostPort.TryParse(value, out _, out _))
        {
            result.AddError($"{result.Option.Name} '{value}' {problem}.");
        }
    }
}
