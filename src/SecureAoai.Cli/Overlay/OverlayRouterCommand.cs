using System.CommandLine;
using SecureAoai.Overlay;

namespace SecureAoai.Cli.Overlay;

/// <summary><c>secureaoai overlay router create|revoke|delete</c>: routers are enrolled parties of their own.</summary>
internal static class OverlayRouterCommand
{
    public static Command Create(TextWriter output, TextWriter error) => new("router", "Create, revoke or delete routers.")
    {
        CreateCommand(output, error),
        RevokeCommand(output, error),
        DeleteCommand(output, error),
    };

    private static Command CreateCommand(TextWriter output, TextWriter error)
    {
        var name = new Argument<string>("NAME") { Description = "The router's name" };
        var roles = OverlayCommand.ListOption("--roles", "Role attributes for router policies, comma-separated (a leading # is optional)");
        var dir = OverlayCommand.DirectoryOption();
        var outPath = OverlayCommand.OutOption("Where to write the router's one-time enrollment token (mode 0600); must not exist");
        var expires = OverlayIdentityCommand.ExpiresOption();
        var command = new Command("create", "Create a router and write its one-time enrollment token (a JWT) to --out; enroll it with 'secureaoai router enroll'.")
        {
            name, roles, dir, outPath, expires,
        };
        command.SetAction((parse, _) => OverlayCommand.RunAsync(error, async () =>
        {
            var path = parse.GetValue(outPath)!;
            if (File.Exists(path))
            {
                return await OverlayCommand.RefuseExistingAsync(error, path).ConfigureAwait(false);
            }

            using var overlay = OverlayAdministration.Open(parse.GetValue(dir)!);
            var router = overlay.CreateRouter(parse.GetValue(name)!, parse.GetValue(roles) ?? []);
            EnrollmentToken.Save(overlay.CreateRouterEnrollmentToken(router.Name, parse.GetValue(expires)), path);
            await output.WriteLineAsync($"Created router '{router.Name}' [{string.Join(", ", router.Roles.Select(r => "#" + r))}]; enrollment token written to {path}").ConfigureAwait(false);
            return 0;
        }, "routers"));
        return command;
    }

    private static Command RevokeCommand(TextWriter output, TextWriter error)
    {
        var name = new Argument<string>("NAME") { Description = "The router to revoke" };
        var dir = OverlayCommand.DirectoryOption();
        var command = new Command("revoke", "Revoke a router: the controller stops answering it, so it serves nobody, and stops naming it to identities.") { name, dir };
        command.SetAction((parse, _) => OverlayCommand.RunAsync(error, async () =>
        {
            using var overlay = OverlayAdministration.Open(parse.GetValue(dir)!);
            overlay.RevokeRouter(parse.GetValue(name)!);
            await output.WriteLineAsync($"Revoked router '{parse.GetValue(name)}'.").ConfigureAwait(false);
            return 0;
        }, "routers"));
        return command;
    }

    private static Command DeleteCommand(TextWriter output, TextWriter error)
    {
        var name = new Argument<string>("NAME") { Description = "The router to delete" };
        var dir = OverlayCommand.DirectoryOption();
        var command = new Command("delete", "Delete a router: as revoke, and its name is free again.") { name, dir };
        command.SetAction((parse, _) => OverlayCommand.RunAsync(error, async () =>
        {
            using var overlay = OverlayAdministration.Open(parse.GetValue(dir)!);
            overlay.DeleteRouter(parse.GetValue(name)!);
            await output.WriteLineAsync($"Deleted router '{parse.GetValue(name)}'.").ConfigureAwait(false);
            return 0;
        }, "routers"));
        return command;
    }
}
