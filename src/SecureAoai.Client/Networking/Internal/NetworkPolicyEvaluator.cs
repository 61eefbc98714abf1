using System.Net;

namespace SecureAoai.Client.Networking.Internal;

/// <summary>Applies a <see cref="NetworkPolicy"/> to a resolution and explains a refusal.</summary>
internal static class NetworkPolicyEvaluator
{
    /// <summary>The network settings of the app, when an endpoint has none of its own.</summary>
    public const string DefaultNetworkSetting = "SecureOpenAI:Network";

    public static PolicyVerdict Evaluate(HostResolution resolution, NetworkPolicy policy)
    {
        var classes = resolution.Addresses.Select(a => KeyValuePair.Create(a, AddressClassifier.Classify(a))).ToArray();
        var inside = classes.Where(c => c.Value is AddressClass.Private or AddressClass.Loopback).Select(c => c.Key).ToArray();
        var routable = classes.Where(c => c.Value is not AddressClass.Reserved).OrderBy(c => c.Value is AddressClass.Private or AddressClass.Loopback ? 0 : 1).Select(c => c.Key).ToArray();
        return policy switch
        {
            NetworkPolicy.RequirePrivate => new(resolution, policy, classes, inside.Length == classes.Length ? inside : [], false),
            NetworkPolicy.PreferPrivate when inside.Length > 0 => new(resolution, policy, classes, inside, false),
            NetworkPolicy.PreferPrivate => new(resolution, policy, classes, routable, routable.Length > 0),
            _ => new(resolution, policy, classes, routable, false),
        };
    }

    /// <summary>
    /// The refusal: what was found, why it is refused, and what usually causes it, with the private
    /// DNS zone that applies to the host (Azure OpenAI's, API Management's, ...) and the settings to
    /// change under <paramref name="networkSetting"/> (the endpoint's own network section, if it has one).
    /// </summary>
    public static string Explain(PolicyVerdict verdict, string networkSetting = DefaultNetworkSetting)
    {
        var host = verdict.Resolution.Host;
        var chain = verdict.Resolution.Chain;
        var refused = verdict.Classes.Where(c => !verdict.Allowed.Contains(c.Key)).Select(c => c.Value).Distinct().ToArray();
        var kinds = string.Join(" and ", refused.Select(c => c.ToString().ToLowerInvariant()));
        var lines = new List<string>
        {
            $"Refused to connect to {host}: it resolves to {kinds} address(es), and the network policy is {verdict.Policy}. Nothing was sent.",
            $"  {verdict.ChainText}   (answered by {verdict.Resolution.Source})",
        };

        if (refused.Contains(AddressClass.Public) && AzureHostNames.IsFrontDoor(chain))
        {
            lines.Add($"{host} is an Azure Front Door endpoint. Front Door has no private endpoint for clients: it is always reached over its public edge (its Private Link, in the Premium tier, connects Front Door to its origins, such as API Management or Azure OpenAI, not clients to Front Door).");
            lines.Add($"Either call the gateways or resources behind Front Door through their own private endpoints, or accept Front Door's public edge for this endpoint alone: set {networkSetting}:Policy to AllowPublic (on this endpoint, under SecureOpenAI:Endpoints, so the others stay private).");
        }
        else if (refused.Contains(AddressClass.Public))
        {
            var zone = AzureHostNames.ZoneOf(chain);
            lines.Add(AzureHostNames.WentThroughPrivateLink(chain)
                ? $"The name went through {zone}, but public DNS answered that zone: the private DNS zone {zone} is not linked to this client's VNet, or custom DNS servers do not forward to 168.63.129.16 (or to a Private DNS Resolver inbound endpoint)."
                : $"The answer did not go through a private zone ({AzureHostNames.Describe(zone)}): the {(AzureHostNames.IsApiManagement(host) || zone == AzureHostNames.ApiManagementZone ? "API Management instance" : "resource")} may have no private endpoint, the app may have no VNet integration (App Service, Functions), or this machine's DNS is not the VNet's.");
            lines.Add($"Fix the DNS path, or point {networkSetting}:DnsServers at the resolver that knows the private zone. Set {networkSetting}:Policy to AllowPublic only for an endpoint without a private endpoint.");
        }
        else if (refused.Contains(AddressClass.LinkLocal))
        {
            lines.Add("A link-local address only reaches this network segment; a private endpoint always has a private address. Check the DNS record.");
        }
        else
        {
            lines.Add("The answer holds no address that can be connected to (unspecified, multicast or broadcast). Check the DNS record.");
        }

        return string.Join(Environment.NewLine, lines);
    }
}
