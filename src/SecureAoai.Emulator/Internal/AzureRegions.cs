namespace SecureAoai.Emulator.Internal;

/// <summary>
/// Azure region names and the display names Azure OpenAI sends in <c>x-ms-region</c>
/// (<c>eastus</c> → <c>East US</c>, as in the recorded answers).
/// </summary>
internal static class AzureRegions
{
    private static readonly Dictionary<string, string> DisplayNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["australiaeast"] = "Australia East",
        ["brazilsouth"] = "Brazil South",
        ["canadacentral"] = "Canada Central",
        ["canadaeast"] = "Canada East",
        ["centralus"] = "Central US",
        ["eastus"] = "East US",
        ["eastus2"] = "East US 2",
        ["francecentral"] = "France Central",
        ["germanywestcentral"] = "Germany West Central",
        ["japaneast"] = "Japan East",
        ["koreacentral"] = "Korea Central",
        ["northcentralus"] = "North Central US",
        ["northeurope"] = "North Europe",
        ["norwayeast"] = "Norway East",
        ["polandcentral"] = "Poland Central",
        ["southafricanorth"] = "South Africa North",
        ["southcentralus"] = "South Central US",
        ["southindia"] = "South India",
        ["spaincentral"] = "Spain Central",
        ["swedencentral"] = "Sweden Central",
        ["switzerlandnorth"] = "Switzerland North",
        ["uaenorth"] = "UAE North",
        ["uksouth"] = "UK South",
        ["westeurope"] = "West Europe",
        ["westus"] = "West US",
        ["westus2"] = "West US 2",
        ["westus3"] = "West US 3",
    };

    /// <summary>The display name of a region name the emulator knows, else the name itself.</summary>
    public static string DisplayName(string name) => DisplayNames.TryGetValue(name, out string? display) ? display : name;
}
