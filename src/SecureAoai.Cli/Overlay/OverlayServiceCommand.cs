using System.CommandLine;
using SecureAoai.Overlay;

namespace SecureAoai.Cli.Overlay;

/// <summary><c>secureaoai overlay service create</c>.</summary>
internal static class OverlayServiceCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var name = new Argument<string>("NAME") { Description = "The service's name" };
        var roles = OverlayCommand.ListOption("--roles", "Role attributes, comma-separated (a leading # is optional)");
        var dir = OverlayCommand.DirectoryOption();
        var create = new Command("create", "Create a service.") { name, roles, dir };
        create.SetAction((parse, _) => OverlayCommand.RunAsync(error, async () =>
        {
            using var overlay = OverlayAdministration.Open(parse.GetValue(dir)!);
            var service = overlay.CreateService(parse.GetValue(name)!, parse.GetValue(roles) ?? []);
            await output.WriteLineAsync($"Created service '{service.Name}' [{string.Join(", ", service.Roles.Select(r => "#" + r))}]").ConfigureAwait(false);
            return 0;
        }, "services"));
        return new Command("service", "Create services.") { create };
    }
}
