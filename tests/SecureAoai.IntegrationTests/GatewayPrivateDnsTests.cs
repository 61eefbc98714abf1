using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.Client.Networking;
using SecureAoai.Client.Tests.Networking.Dns;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>
/// An API Management gateway reached by its name under the default network policy (RequirePrivate),
/// resolved by a real DNS server (dnsmasq) through API Management's private zone, privatelink.azure-api.net.
/// </summary>
public sealed class GatewayPrivateDnsTests : IAsyncLifetime
{
    private const string PrivateHost = "contoso-apim.azure-api.net";
    private const string PublicHost = "contoso-apim-public.azure-api.net";

    private static readonly string[] Records =
    [
        "--local-ttl=60",
        "--local=/azure-api.net/",
        $"--cname={PrivateHost},contoso-apim.privatelink.azure-api.net",
        "--host-record=contoso-apim.privatelink.azure-api.net,127.0.0.1",
        $"--cname={PublicHost},contoso-apim-public.privatelink.azure-api.net",
        "--host-record=contoso-apim-public.privatelink.azure-api.net,20.1.2.3",
    ];

    private GatewayRig _rig = null!;
    private DnsmasqFixture _dns = null!;

    public async Task InitializeAsync()
    {
        _rig = await GatewayRig.StartAsync(entra: true, o => o.Gateways[0].HostNames.AddRange([PrivateHost, PublicHost]));
        _dns = await DnsmasqFixture.StartAsync(Records);
    }

    public async Task DisposeAsync()
    {
        await _dns.DisposeAsync();
        await _rig.DisposeAsync();
    }

    [Fact]
    public async Task CompleteChat_GatewayNameResolvesThroughApiManagementsPrivateZone_PassesRequirePrivateAndAnswers()
    {
        using var provider = GatewayRig.Build(Settings(PrivateHost));

        var answer = await provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("over the gateway's private endpoint")]);

        Assert.Equal(ChatFinishReason.Stop, answer.Value.FinishReason);
        Assert.Equal(1, _rig.East.RequestCount);
    }

    [Fact]
    public async Task CompleteChat_GatewayNameAnsweredPublicly_RefusedNamingApiManagementsZoneNotAzureOpenAIs()
    {
        using var provider = GatewayRig.Build(Settings(PublicHost));

        var error = await Assert.ThrowsAsync<EndpointNetworkException>(
            () => provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("must not leave")]));

        Assert.Equal(EndpointNetworkFailure.PolicyViolation, error.Reason);
        Assert.Equal([PublicHost, "contoso-apim-public.privatelink.azure-api.net"], error.Chain);
        Assert.Contains("the private DNS zone privatelink.azure-api.net is not linked to this client's VNet", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("privatelink.openai.azure.com", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _rig.East.RequestCount);
    }

    private Dictionary<string, string?> Settings(string host)
    {
        var settings = _rig.SingleGateway(_rig.East);
        settings["SecureOpenAI:Endpoint"] = $"https://{host}:{_rig.East.Port}{_rig.East.PathPrefix}/";
        settings["SecureOpenAI:Network:DnsServers:0"] = _dns.Address;
        return settings;
    }
}
