using System.CommandLine;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Cli.Overlay;

/// <summary><c>secureaoai overlay policy create</c>: a Dial or Bind service policy.</summary>
internal static class OverlayPolicyCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var name = new Argument<string>("NAME") { Description = "The policy's name" };
        var type = new Option<ServicePolicyType>("--type") { Description = "Dial (who may use) or Bind (who may host)", Required = true };
        var identityRoles = OverlayCommand.ListOption("--identity-roles", "Identities: '#attribute', '@name' or '#all', comma-separated");
        identityRoles.Required = true;
        var serviceRoles = OverlayCommand.ListOption("--service-roles", "Services: '#attribute', '@name' or '#all', comma-separated");
        serviceRoles.Required = true;
        var semantic = new Option<PolicySemantic>("--semantic")
        {
            Description = "AnyOf (default: any expression matches) or AllOf (all must match); applies to both role lists",
            DefaultValueFactory = _ => PolicySemantic.AnyOf,
        };
        var dir = OverlayCommand.DirectoryOption();
        var create = new Command("create", "Create a service policy.") { name, type, identityRoles, serviceRoles, semantic, dir };
        create.SetAction((parse, _) => OverlayCommand.RunAsync(error, async () =>
        {
            using var overlay = OverlayController.Open(parse.GetValue(dir)!);
            var policy = overlay.CreateServicePolicy(parse.GetValue(name)!, parse.GetValue(type), parse.GetValue(semantic), parse.GetValue(identityRoles)!, parse.GetValue(serviceRoles)!);
            await output.WriteLineAsync($"Created {policy.Type} policy '{policy.Name}' ({policy.Semantic}): {string.Join(",", policy.IdentityRoles)} → {string.Join(",", policy.ServiceRoles)}").ConfigureAwait(false);
            return 0;
        }));
        return new Command("policy", "Create service policies.") { create };
    }
}
