using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.Client.Networking;
using SecureAoai.Client.Tests.Networking.Dns;
using SecureAoai.Emulator;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>
/// The endpoint's name resolved by a real DNS server (dnsmasq) through a privatelink CNAME chain,
/// the real OpenAI client and a real workload identity against the emulator behind that name.
/// </summary>
public sealed class PrivateDnsTests : IAsyncLifetime
{
    private const string PrivateHost = "aoai-east.openai.azure.com";
    private const string PublicHost = "aoai-public.openai.azure.com";
    private const int TtlSeconds = 1;
    private static readonly string[] PrivateRecords = Records("127.0.0.1");

    private readonly WorkloadIdentityEmulator _identity = new();
    private DnsmasqFixture _dns = null!;

    private EmulatorServer Emulator => _identity.Emulator;

    public async Task InitializeAsync()
    {
        _identity.ServerHostNames.AddRange([PrivateHost, PublicHost]);
        await _identity.InitializeAsync();
        _dns = await DnsmasqFixture.StartAsync(PrivateRecords);
    }

    public async Task DisposeAsync()
    {
        await _dns.DisposeAsync();
        await _identity.DisposeAsync();
    }

    [Fact]
    public async Task CompleteChat_NameResolvesThroughPrivateLinkToPrivateAddress_Answers()
    {
        using var provider = SecureClients.Build(Settings(PrivateHost));

        var answer = await provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("over the private endpoint")]);

        Assert.Equal(ChatFinishReason.Stop, answer.Value.FinishReason);
        Assert.Equal(1, _identity.Instance.RequestCount);
    }

    [Fact]
    public async Task CompleteChat_NameResolvesToPublicAddress_RefusedWithChainBeforeSending()
    {
        using var provider = SecureClients.Build(Settings(PublicHost));

        var error = await Assert.ThrowsAsync<EndpointNetworkException>(
            () => provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("must not leave")]));

        Assert.Equal(EndpointNetworkFailure.PolicyViolation, error.Reason);
        Assert.Equal([PublicHost, "aoai-public.privatelink.openai.azure.com"], error.Chain);
        Assert.Contains($"{PublicHost} → aoai-public.privatelink.openai.azure.com → 20.1.2.3 (public)", error.Message, StringComparison.Ordinal);
        Assert.Contains($"DNS {_dns.Address}", error.Message, StringComparison.Ordinal);
        Assert.Contains("not linked to this client's VNet", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, _identity.Instance.RequestCount);
    }

    [Fact]
    public async Task CompleteChat_AnswerFlipsToPublicAfterTtl_NoConnectionToIt()
    {
        using var provider = SecureClients.Build(Settings(PrivateHost));
        var chat = provider.GetRequiredService<ChatClient>();
        await chat.CompleteChatAsync([new UserChatMessage("while private")]);

        await _dns.RestartAsync(Records("20.1.2.3"));
        await Task.Delay(TimeSpan.FromSeconds(TtlSeconds) + TimeSpan.FromMilliseconds(300)); // the verdict's TTL must run out
        var error = await Assert.ThrowsAsync<EndpointNetworkException>(() => chat.CompleteChatAsync([new UserChatMessage("after the flip")]));

        Assert.Contains("20.1.2.3 (public)", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _identity.Instance.RequestCount);
    }

    [Fact]
    public async Task CompleteChat_NameDoesNotExist_SaysSoAndNamesThePrivateZone()
    {
        using var provider = SecureClients.Build(Settings("aoai-missing.openai.azure.com"));

        var error = await Assert.ThrowsAsync<EndpointNetworkException>(
            () => provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("nobody there")]));

        Assert.Equal(EndpointNetworkFailure.NameNotFound, error.Reason);
        Assert.Contains("privatelink.openai.azure.com", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteChat_DnsServerSilent_TimesOutWithClearError()
    {
        // A UDP socket that never answers stands for an unreachable resolver.
        using var silent = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        var settings = Settings(PrivateHost);
        settings["SecureOpenAI:Network:DnsServers:0"] = silent.Client.LocalEndPoint!.ToString();
        settings["SecureOpenAI:Network:DnsTimeout"] = "00:00:00.300";
        using var provider = SecureClients.Build(settings);

        var error = await Assert.ThrowsAsync<EndpointNetworkException>(
            () => provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("no resolver")]));

        Assert.Equal(EndpointNetworkFailure.DnsTimeout, error.Reason);
        Assert.Equal(0, _identity.Instance.RequestCount);
    }

    private static string[] Records(string address) =>
    [
        $"--local-ttl={TtlSeconds}",
        "--local=/azure.com/",
        $"--cname={PrivateHost},aoai-east.privatelink.openai.azure.com",
        $"--host-record=aoai-east.privatelink.openai.azure.com,{address}",
        $"--cname={PublicHost},aoai-public.privatelink.openai.azure.com",
        "--host-record=aoai-public.privatelink.openai.azure.com,20.1.2.3",
    ];

    private Dictionary<string, string?> Settings(string host)
    {
        var settings = _identity.Settings();
        settings["SecureOpenAI:Endpoint"] = $"https://{host}:{_identity.Instance.Port}/";
        settings["SecureOpenAI:Network:DnsServers:0"] = _dns.Address;
        return settings;
    }
}
