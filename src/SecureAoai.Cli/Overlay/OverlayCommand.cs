using System.CommandLine;
using SecureAoai.Overlay;

namespace SecureAoai.Cli.Overlay;

/// <summary>
/// <c>secureaoai overlay</c>: administers an overlay directory (init, identities, routers, enrollment,
/// services, policies, listings). Never prints a token or key: tokens go to the --out file.
/// </summary>
internal static class OverlayCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var command = new Command("overlay", "Administer an overlay network: its CA, identities, routers, services and policies.")
        {
            InitCommand(output, error),
            OverlayIdentityCommand.Create(output, error),
            EnrollCommand(output, error),
            OverlayRouterCommand.Create(output, error),
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

    /// <summary>The --out option of a command that writes a token or identity file.</summary>
    public static Option<string> OutOption(string description) => new("--out") { Description = description, Required = true };

    /// <summary>
    /// Runs a command's action, turning the library's failures into what to do at the command line:
    /// bad input exits 2, other problems 1. <paramref name="listKind"/> is what 'overlay list' shows for
    /// the entities the command works on, for a name that is not found.
    /// </summary>
    public static async Task<int> RunAsync(TextWriter error, Func<Task<int>> action, string? listKind = null)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (OverlayAdministrationException ex)
        {
            var (text, exitCode) = CliErrors.Describe(ex, listKind);
            await error.WriteLineAsync(text).ConfigureAwait(false);
            return exitCode;
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

    /// <summary>Writes the usage error for an --out file that already exists; nothing is overwritten.</summary>
    public static async Task<int> RefuseExistingAsync(TextWriter error, string path)
    {
        await error.WriteLineAsync($"--out '{path}' already exists; choose another path or remove it.").ConfigureAwait(false);
        return CliApp.UsageError;
    }

    private static Command InitCommand(TextWriter output, TextWriter error)
    {
        var dir = DirectoryOption();
        var controller = CliAddress.Option("--controller", "The controller's address as identities and routers will reach it, HOST:PORT");
        var command = new Command("init", "Create a new overlay: its CA (ca.pem, ca.key with mode 0600) and state (overlay.db).") { dir, controller };
        command.SetAction((parse, _) => RunAsync(error, async () =>
        {
            using var overlay = OverlayAdministration.Initialize(parse.GetValue(dir)!, parse.GetValue(controller)!);
            await output.WriteLineAsync($"Initialized overlay in {overlay.Directory}").ConfigureAwait(false);
            await output.WriteLineAsync($"  controller      {overlay.ControllerAddress}").ConfigureAwait(false);
            await output.WriteLineAsync($"  CA fingerprint  {overlay.CaFingerprint} (SHA-256)").ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static Command EnrollCommand(TextWriter output, TextWriter error)
    {
        var jwt = new Option<FileInfo>("--jwt") { Description = "The one-time token file from 'overlay identity create'", Required = true };
        var outPath = OutOption("Where to write the identity file (mode 0600); must not exist");
        var command = new Command("enroll", "Enroll this machine: make a key here, send the token and a CSR to the controller, write the identity file.") { jwt, outPath };
        command.SetAction((parse, cancellationToken) => RunAsync(error, async () =>
        {
            var (token, path) = (parse.GetValue(jwt)!, parse.GetValue(outPath)!);
            if (await ReadTokenAsync(error, token, "identity", cancellationToken).ConfigureAwait(false) is not { } text)
            {
                return CliApp.UsageError;
            }

            if (File.Exists(path))
            {
                return await RefuseExistingAsync(error, path).ConfigureAwait(false);
            }

            try
            {
                using var identity = await EnrollmentClient.EnrollAsync(text, path, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync($"Enrolled '{identity.Name}' with {identity.ControllerAddress}; identity file {path} (mode 0600). Delete {token.Name}: it cannot be used again.").ConfigureAwait(false);
                return 0;
            }
            catch (OverlayEnrollmentException ex)
            {
                await error.WriteLineAsync(CliErrors.Describe(ex, token.Name, enrollingRouter: false)).ConfigureAwait(false);
                return CliApp.ProblemFound;
            }
        }));
        return command;
    }

    /// <summary>The token in the --jwt file, or null (with the usage error written) when there is no such file.</summary>
    public static async Task<string?> ReadTokenAsync(TextWriter error, FileInfo file, string kind, CancellationToken cancellationToken)
    {
        if (!file.Exists)
        {
            await error.WriteLineAsync($"--jwt '{file.FullName}' does not exist; pass the file written by 'secureaoai overlay {kind} create --out'.").ConfigureAwait(false);
            return null;
        }

        return await File.ReadAllTextAsync(file.FullName, cancellationToken).ConfigureAwait(false);
    }
}
