namespace SecureAoai.Client.Networking.Internal;

/// <summary>
/// What an Azure host name says about the service behind it: Azure OpenAI, an API Management
/// gateway, Front Door; and the private DNS zone its private endpoint is answered from.
/// </summary>
/// <remarks>
/// Zones are Azure's recommended ones (https://learn.microsoft.com/azure/private-link/private-endpoint-dns):
/// Azure OpenAI <c>privatelink.openai.azure.com</c>, Cognitive Services
/// <c>privatelink.cognitiveservices.azure.com</c>, AI Services <c>privatelink.services.ai.azure.com</c>,
/// API Management's gateway <c>privatelink.azure-api.net</c>. Front Door has none: its endpoints are
/// reached over its public edge, and its Private Link (Premium) connects Front Door to its origins,
/// not clients to Front Door (https://learn.microsoft.com/azure/frontdoor/private-link).
/// </remarks>
internal static class AzureHostNames
{
    /// <summary>Azure OpenAI's private DNS zone.</summary>
    public const string OpenAIZone = "privatelink.openai.azure.com";

    /// <summary>API Management's private DNS zone (the gateway endpoint).</summary>
    public const string ApiManagementZone = "privatelink.azure-api.net";

    private const string PrivateLinkLabel = "privatelink.";

    /// <summary>Public suffixes and the zone of their private endpoints; a privatelink name is matched first.</summary>
    private static readonly (string Suffix, string Zone)[] Zones =
    [
        (".openai.azure.com", OpenAIZone),
        (".cognitiveservices.azure.com", "privatelink.cognitiveservices.azure.com"),
        (".services.ai.azure.com", "privatelink.services.ai.azure.com"),
        (".azure-api.net", ApiManagementZone),
    ];

    /// <summary>Hosts of Azure OpenAI resources themselves (custom subdomains and regional endpoints).</summary>
    private static readonly string[] OpenAISuffixes =
        [".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com", ".api.cognitive.microsoft.com"];

    /// <summary>Front Door (and its classic CDN) endpoints, and the edge names they resolve through.</summary>
    private static readonly string[] FrontDoorSuffixes = [".azurefd.net", ".azureedge.net", ".t-msedge.net"];

    /// <summary>Whether <paramref name="host"/> is an Azure OpenAI resource's own name.</summary>
    public static bool IsAzureOpenAI(string host) => EndsWithAny(host, OpenAISuffixes);

    /// <summary>Whether <paramref name="host"/> is an API Management gateway's default name.</summary>
    public static bool IsApiManagement(string host) => host.EndsWith(".azure-api.net", StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="host"/> is a Front Door endpoint (or an edge name one resolves through).</summary>
    public static bool IsFrontDoor(string host) => EndsWithAny(host, FrontDoorSuffixes);

    /// <summary>
    /// The private DNS zone for one name: the privatelink zone it is in, else the zone of its public
    /// suffix; <see langword="null"/> for a name of no service known here (a custom domain).
    /// </summary>
    public static string? ZoneOf(string name)
    {
        name = name.TrimEnd('.');
        foreach (var (_, zone) in Zones)
        {
            if (name.EndsWith("." + zone, StringComparison.OrdinalIgnoreCase) || string.Equals(name, zone, StringComparison.OrdinalIgnoreCase))
            {
                return zone;
            }
        }

        foreach (var (suffix, zone) in Zones)
        {
            if (name.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return zone;
            }
        }

        return null;
    }

    /// <summary>
    /// The zone that applies to a resolution: of the first name in the CNAME chain that is in a
    /// privatelink zone, else of the first name with a known suffix (a custom domain is a CNAME to
    /// the service's own name); <see langword="null"/> when no name in the chain is known.
    /// </summary>
    public static string? ZoneOf(IReadOnlyList<string> chain)
    {
        foreach (var name in chain)
        {
            if (name.Contains(PrivateLinkLabel, StringComparison.OrdinalIgnoreCase) && ZoneOf(name) is { } zone)
            {
                return zone;
            }
        }

        return chain.Select(ZoneOf).FirstOrDefault(z => z is not null);
    }

    /// <summary>Whether a private zone answered for a name of the chain: some name in it is in a privatelink zone.</summary>
    public static bool WentThroughPrivateLink(IReadOnlyList<string> chain) =>
        chain.Any(n => n.Contains(PrivateLinkLabel, StringComparison.OrdinalIgnoreCase) && ZoneOf(n) is not null);

    /// <summary>Whether any name of the chain is Front Door's.</summary>
    public static bool IsFrontDoor(IReadOnlyList<string> chain) => chain.Any(IsFrontDoor);

    /// <summary>The zone in words for a message: its name, or what to look for when the host is not one known here.</summary>
    public static string Describe(string? zone) =>
        zone ?? $"private DNS zone of the service behind the name ({OpenAIZone} for Azure OpenAI, {ApiManagementZone} for API Management)";

    private static bool EndsWithAny(string host, string[] suffixes)
    {
        host = host.TrimEnd('.');
        foreach (var suffix in suffixes)
        {
            if (host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
