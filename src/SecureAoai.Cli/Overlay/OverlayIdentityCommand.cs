using System.CommandLine;
using SecureAoai.Overlay;

namespace SecureAoai.Cli.Overlay;

/// <summary><c>secureaoai overlay identity create|revoke</c>.</summary>
internal static class OverlayIdentityCommand
{
    public static Command Create(TextWriter output, TextWriter error) => new("identity", "Create or revoke identities.")
    {
        CreateCommand(output, error),
        RevokeCommand(output, error),
    };

    /// <summary>The --expires option of a command that writes an enrollment token.</summary>
    public static Option<TimeSpan> ExpiresOption() => new("--expires")
    {
        Description = "How long the token is valid, as d.hh:mm:ss; default 24 hours",
        DefaultValueFactory = _ => EnrollmentToken.DefaultLifetime,
    };

    private static Command CreateCommand(TextWriter output, TextWriter error)
    {
        var name = new Argument<string>("NAME") { Description = "The identity's name" };
        var roles = OverlayCommand.ListOption("--roles", "Role attributes, comma-separated (a leading # is optional)");
        var dir = OverlayCommand.DirectoryOption();
        var outPath = OverlayCommand.OutOption("Where to write the one-time enrollment token (mode 0600); must not exist");
        var expires = ExpiresOption();
        var command = new Command("create", "Create an identity and write its one-time enrollment token (a JWT) to --out.") { name, roles, dir, outPath, expires };
        command.SetAction((parse, _) => OverlayCommand.RunAsync(error, async () =>
        {
            var path = parse.GetValue(outPath)!;
            if (File.Exists(path))
            {
                return await OverlayCommand.RefuseExistingAsync(error, path).ConfigureAwait(false);
            }

            using var overlay = OverlayAdministration.Open(parse.GetValue(dir)!);
            var identity = overlay.CreateIdentity(parse.GetValue(name)!, parse.GetValue(roles) ?? []);
            EnrollmentToken.Save(overlay.CreateEnrollmentToken(identity.Name, parse.GetValue(expires)), path);
            await output.WriteLineAsync($"Created identity '{identity.Name}' [{string.Join(", ", identity.Roles.Select(r => "#" + r))}]; enrollment token written to {path}").ConfigureAwait(false);
            return 0;
        }, "identities"));
        return command;
    }

    private static Command RevokeCommand(TextWriter output, TextWriter error)
    {
        var name = new Argument<string>("NAME") { Description = "The identity to revoke" };
        var dir = OverlayCommand.DirectoryOption();
        var command = new Command("revoke", "Revoke an identity: its router sessions close, and it can no longer open one, dial or bind.") { name, dir };
        command.SetAction((parse, _) => OverlayCommand.RunAsync(error, async () =>
        {
            using var overlay = OverlayAdministration.Open(parse.GetValue(dir)!);
            overlay.RevokeIdentity(parse.GetValue(name)!);
            await output.WriteLineAsync($"Revoked identity '{parse.GetValue(name)}'.").ConfigureAwait(false);
            return 0;
        }, "identities"));
        return command;
    }
}
