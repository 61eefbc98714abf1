using System.CommandLine;
using System.Globalization;
using SecureAoai.Overlay;

namespace SecureAoai.Cli.Overlay;

/// <summary><c>secureaoai overlay list identities|routers|services|policies</c>: plain-text tables.</summary>
internal static class OverlayListCommand
{
    private static readonly string[] Kinds = ["identities", "routers", "services", "policies"];

    public static Command Create(TextWriter output, TextWriter error)
    {
        var kind = new Argument<string>("KIND") { Description = "identities, routers, services or policies" };
        kind.AcceptOnlyFromAmong(Kinds);
        var dir = OverlayCommand.DirectoryOption();
        var command = new Command("list", "List identities, routers, services or policies.") { kind, dir };
        command.SetAction((parse, _) => OverlayCommand.RunAsync(error, async () =>
        {
            using var overlay = OverlayAdministration.Open(parse.GetValue(dir)!);
            var rows = parse.GetValue(kind) switch
            {
                "identities" => Table(["NAME", "ROLES", "STATE", "CREATED"], overlay.ListIdentities().Select(i => new[]
                {
                    i.Name, Roles(i.Roles), i.IsRevoked ? "revoked" : i.IsEnrolled ? "enrolled" : "pending", Created(i.CreatedAt),
                })),
                "routers" => Table(["NAME", "ROLES", "STATE", "ADDRESS", "CREATED"], overlay.ListRouters().Select(r => new[]
                {
                    r.Name, Roles(r.Roles), r.IsRevoked ? "revoked" : r.IsEmbedded ? "embedded" : r.IsEnrolled ? "enrolled" : "pending", r.Address ?? "-", Created(r.CreatedAt),
                })),
                "services" => Table(["NAME", "ROLES"], overlay.ListServices().Select(s => new[] { s.Name, Roles(s.Roles) })),
                _ => Table(["NAME", "TYPE", "SEMANTIC", "IDENTITY ROLES", "SERVICE OR ROUTER ROLES"],
                    overlay.ListServicePolicies().Select(p => new[]
                    {
                        p.Name, p.Type.ToString(), p.Semantic.ToString(), string.Join(",", p.IdentityRoles), string.Join(",", p.ServiceRoles),
                    }).Concat(overlay.ListRouterPolicies().Select(p => new[]
                    {
                        p.Name, "Router", p.Semantic.ToString(), string.Join(",", p.IdentityRoles), string.Join(",", p.RouterRoles),
                    }))),
            };
            await output.WriteLineAsync(rows).ConfigureAwait(false);
            return 0;
        }));
        return command;
    }

    private static string Roles(IReadOnlyList<string> roles) => roles.Count == 0 ? "-" : string.Join(",", roles.Select(r => "#" + r));

    private static string Created(DateTimeOffset at) => at.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture);

    private static string Table(string[] header, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = header.Select((_, column) => all.Max(r => r[column].Length)).ToArray();
        return string.Join(Environment.NewLine, all.Select(r => string.Join("  ", r.Select((cell, column) => cell.PadRight(widths[column]))).TrimEnd()));
    }
}
