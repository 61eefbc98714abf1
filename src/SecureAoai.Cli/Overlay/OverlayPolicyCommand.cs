using System.CommandLine;
using SecureAoai.Overlay;

namespace SecureAoai.Cli.Overlay;

/// <summary><c>secureaoai overlay policy create|delete</c>: Dial and Bind service policies, and router policies.</summary>
internal static class OverlayPolicyCommand
{
    /// <summary>The kinds of policy <c>--type</c> names.</summary>
    internal enum PolicyType
    {
        /// <summary>Identities may dial (use) services.</summary>
        Dial,

        /// <summary>Identities may bind (host) services.</summary>
        Bind,

        /// <summary>Identities may use routers.</summary>
        Router,
    }

    public static Command Create(TextWriter output, TextWriter error) => new("policy", "Create or delete service policies (Dial, Bind) and router policies.")
    {
        CreateCommand(output, error),
        DeleteCommand(output, error),
    };

    private static Command CreateCommand(TextWriter output, TextWriter error)
    {
        var name = new Argument<string>("NAME") { Description = "The policy's name" };
        var type = new Option<PolicyType>("--type") { Description = "Dial (who may use services), Bind (who may host them) or Router (who may use routers)", Required = true };
        var identityRoles = OverlayCommand.ListOption("--identity-roles", "Identities: '#attribute', '@name' or '#all', comma-separated");
        identityRoles.Required = true;
        var serviceRoles = OverlayCommand.ListOption("--service-roles", "Services (Dial and Bind): '#attribute', '@name' or '#all', comma-separated");
        var routerRoles = OverlayCommand.ListOption("--router-roles", "Routers (Router): '#attribute', '@name' or '#all', comma-separated");
        var semantic = new Option<PolicySemantic>("--semantic")
        {
            Description = "AnyOf (default: any expression matches) or AllOf (all must match); applies to both role lists",
            DefaultValueFactory = _ => PolicySemantic.AnyOf,
        };
        var dir = OverlayCommand.DirectoryOption();
        var create = new Command("create", "Create a service policy (--type Dial or Bind, with --service-roles) or a router policy (--type Router, with --router-roles).")
        {
            name, type, identityRoles, serviceRoles, routerRoles, semantic, dir,
        };
        create.Validators.Add(result =>
        {
            // A --type that did not parse (or is missing) has its own error already; reading it would throw.
            if (result.GetResult(type) is not { Tokens: [var typeToken] } || !Enum.TryParse<PolicyType>(typeToken.Value, ignoreCase: true, out var policyType))
            {
                return;
            }

            var isRouter = policyType == PolicyType.Router;
            var (needed, other) = isRouter ? (routerRoles, serviceRoles) : (serviceRoles, routerRoles);
            if (result.GetResult(needed) is null)
            {
                result.AddError($"--type {policyType} needs {needed.Name}.");
            }

            if (result.GetResult(other) is not null)
            {
                result.AddError($"{other.Name} does not go with --type {policyType}; use {needed.Name}.");
            }
        });
        create.SetAction((parse, _) => OverlayCommand.RunAsync(error, async () =>
        {
            using var overlay = OverlayAdministration.Open(parse.GetValue(dir)!);
            var identities = parse.GetValue(identityRoles)!;
            if (parse.GetValue(type) == PolicyType.Router)
            {
                var policy = overlay.CreateRouterPolicy(parse.GetValue(name)!, parse.GetValue(semantic), identities, parse.GetValue(routerRoles)!);
                await output.WriteLineAsync($"Created Router policy '{policy.Name}' ({policy.Semantic}): {string.Join(",", policy.IdentityRoles)} → routers {string.Join(",", policy.RouterRoles)}").ConfigureAwait(false);
            }
            else
            {
                var kind = parse.GetValue(type) == PolicyType.Dial ? ServicePolicyType.Dial : ServicePolicyType.Bind;
                var policy = overlay.CreateServicePolicy(parse.GetValue(name)!, kind, parse.GetValue(semantic), identities, parse.GetValue(serviceRoles)!);
                await output.WriteLineAsync($"Created {policy.Type} policy '{policy.Name}' ({policy.Semantic}): {string.Join(",", policy.IdentityRoles)} → {string.Join(",", policy.ServiceRoles)}").ConfigureAwait(false);
            }

            return 0;
        }, "policies"));
        return create;
    }

    private static Command DeleteCommand(TextWriter output, TextWriter error)
    {
        var name = new Argument<string>("NAME") { Description = "The policy to delete" };
        var dir = OverlayCommand.DirectoryOption();
        var delete = new Command("delete", "Delete a service or router policy; every router applies it within moments.") { name, dir };
        delete.SetAction((parse, _) => OverlayCommand.RunAsync(error, async () =>
        {
            using var overlay = OverlayAdministration.Open(parse.GetValue(dir)!);
            overlay.DeletePolicy(parse.GetValue(name)!);
            await output.WriteLineAsync($"Deleted policy '{parse.GetValue(name)}'.").ConfigureAwait(false);
            return 0;
        }, "policies"));
        return delete;
    }
}
