using System.Net;
using SecureAoai.Client.Networking;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Tests.Gateways;

/// <summary>Network refusals name the private DNS zone that applies to the host (API Management's is not Azure OpenAI's), and the setting to change.</summary>
public sealed class GatewayNetworkPolicyTests
{
    private static string Refusal(string host, string[] chain, string address, string networkSetting = NetworkPolicyEvaluator.DefaultNetworkSetting)
    {
        var resolution = new HostResolution(host, chain, [IPAddress.Parse(address)], TimeSpan.FromSeconds(30), "DNS 127.0.0.1:5353");
        var verdict = NetworkPolicyEvaluator.Evaluate(resolution, NetworkPolicy.RequirePrivate);
        Assert.False(verdict.IsAllowed);
        return NetworkPolicyEvaluator.Explain(verdict, networkSetting);
    }

    [Fact]
    public void Explain_ApiManagementThroughPrivateLinkAnsweredPublicly_NamesApiManagementsZone()
    {
        var text = Refusal("contoso-apim.azure-api.net", ["contoso-apim.azure-api.net", "contoso-apim.privatelink.azure-api.net"], "20.1.2.3");

        Assert.Contains("the private DNS zone privatelink.azure-api.net is not linked", text, StringComparison.Ordinal);
        Assert.DoesNotContain("privatelink.openai.azure.com", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_ApiManagementWithoutPrivateEndpoint_NamesApiManagementsZone()
    {
        var text = Refusal("contoso-apim.azure-api.net", ["contoso-apim.azure-api.net", "apimgmttmabc.trafficmanager.net"], "20.1.2.3");

        Assert.Contains("did not go through a private zone (privatelink.azure-api.net)", text, StringComparison.Ordinal);
        Assert.Contains("API Management instance may have no private endpoint", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_CustomDomainCnamedToApiManagement_NamesApiManagementsZone()
    {
        var text = Refusal("ai.contoso.com", ["ai.contoso.com", "contoso-apim.azure-api.net", "contoso-apim.privatelink.azure-api.net"], "20.1.2.3");

        Assert.Contains("went through privatelink.azure-api.net", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_AzureOpenAI_StillNamesItsOwnZone()
    {
        var text = Refusal("aoai-east.openai.azure.com", ["aoai-east.openai.azure.com", "aoai-east.privatelink.openai.azure.com"], "20.1.2.3");

        Assert.Contains("the private DNS zone privatelink.openai.azure.com is not linked", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_FrontDoor_SaysItHasNoPrivateEndpointAndNamesTheEndpointsPolicySetting()
    {
        var text = Refusal(
            "contoso-fd.azurefd.net",
            ["contoso-fd.azurefd.net", "contoso-fd.z01.azurefd.net", "shed.dual-low.part-0012.t-0009.t-msedge.net"],
            "13.107.246.40",
            "SecureOpenAI:Endpoints:2:Network");

        Assert.Contains("Front Door has no private endpoint for clients", text, StringComparison.Ordinal);
        Assert.Contains("SecureOpenAI:Endpoints:2:Network:Policy to AllowPublic", text, StringComparison.Ordinal);
        Assert.DoesNotContain("privatelink", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Explain_EndpointWithItsOwnNetworkSection_NamesThatSection()
    {
        var text = Refusal("contoso-apim.azure-api.net", ["contoso-apim.azure-api.net"], "20.1.2.3", "SecureOpenAI:Endpoints:1:Network");

        Assert.Contains("SecureOpenAI:Endpoints:1:Network:DnsServers", text, StringComparison.Ordinal);
        Assert.DoesNotContain("SecureOpenAI:Network:", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("contoso-apim.azure-api.net", "privatelink.azure-api.net")]
    [InlineData("aoai-east.openai.azure.com", "privatelink.openai.azure.com")]
    [InlineData("aoai-east.cognitiveservices.azure.com", "privatelink.cognitiveservices.azure.com")]
    public void Unresolved_NamesTheZoneOfTheHost(string host, string zone)
    {
        var error = EndpointGuard.Unresolved(host, new HostResolutionException(host, HostResolutionFailure.NameNotFound, "NXDOMAIN."));

        Assert.Contains($"can answer the {zone} zone", error.Message, StringComparison.Ordinal);
    }
}
