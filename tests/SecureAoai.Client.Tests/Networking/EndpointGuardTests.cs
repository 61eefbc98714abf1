using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SecureAoai.Client.Failover;
using SecureAoai.Client.Failover.Internal;
using SecureAoai.Client.Internal;
using SecureAoai.Client.Networking;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Tests.Networking;

public sealed class EndpointGuardTests
{
    private const string Host = "aoai-east.openai.azure.com";
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-23T10:00:00Z"));
    private readonly ScriptedResolver _resolver = new();

    private EndpointGuard CreateGuard(NetworkPolicy policy = NetworkPolicy.RequirePrivate) =>
        new(_resolver, policy, TimeSpan.FromSeconds(2), NullLogger.Instance, _time);

    /// <summary>A client whose only endpoint is <see cref="Host"/> at <paramref name="port"/>, reached through <paramref name="guard"/>.</summary>
    private static HttpClient CreateClient(EndpointGuard guard, int port)
    {
        var endpoint = new FailoverEndpoint("east", "SecureOpenAI", new Uri($"http://{Host}:{port}/"), 1, 1, new Dictionary<string, string>(), null, guard, new SecureOpenAIFailoverOptions(), TimeProvider.System);
        var table = new EndpointTable([endpoint], connector: null);
        return new(new GuardHandler(table, new SocketsHttpHandler { ConnectCallback = table.ConnectAsync, PooledConnectionLifetime = TimeSpan.FromMinutes(5) }));
    }

    [Fact]
    public async Task Verify_WithinTtl_ResolvesOnce()
    {
        using var guard = CreateGuard();

        await guard.VerifyAsync(Host, default);
        _time.Advance(TimeSpan.FromSeconds(29));
        await guard.VerifyAsync(Host, default);

        Assert.Equal(1, _resolver.Lookups);
    }

    [Fact]
    public async Task Verify_AfterTtl_ResolvesAndJudgesAgain()
    {
        using var guard = CreateGuard();
        await guard.VerifyAsync(Host, default);
        _resolver.Addresses = ["20.1.2.3"];

        _time.Advance(TimeSpan.FromSeconds(31));
        var error = await Assert.ThrowsAsync<EndpointNetworkException>(() => guard.VerifyAsync(Host, default).AsTask());

        Assert.Equal(2, _resolver.Lookups);
        Assert.Equal(EndpointNetworkFailure.PolicyViolation, error.Reason);
        Assert.Equal(AddressClass.Public, Assert.Single(error.Addresses).Value);
    }

    [Fact]
    public async Task Verify_ConcurrentCallers_ShareOneLookup()
    {
        using var guard = CreateGuard();

        await Task.WhenAll(Enumerable.Range(0, 32).Select(_ => guard.VerifyAsync(Host, default).AsTask()));

        Assert.Equal(1, _resolver.Lookups);
    }

    [Theory]
    [InlineData("NameNotFound", EndpointNetworkFailure.NameNotFound)]
    [InlineData("Timeout", EndpointNetworkFailure.DnsTimeout)]
    [InlineData("ServerFailure", EndpointNetworkFailure.DnsServerFailure)]
    [InlineData("InvalidResponse", EndpointNetworkFailure.InvalidDnsResponse)]
    [InlineData("NoAddress", EndpointNetworkFailure.NoAddress)]
    public async Task Verify_ResolutionFails_ReasonAndHostInException(string failure, EndpointNetworkFailure expected)
    {
        using var guard = CreateGuard();
        _resolver.Failure = Enum.Parse<HostResolutionFailure>(failure);

        var error = await Assert.ThrowsAsync<EndpointNetworkException>(() => guard.VerifyAsync(Host, default).AsTask());

        Assert.Equal(expected, error.Reason);
        Assert.Contains(Host, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Send_NameResolvesToLoopback_ConnectsToVerifiedAddressWithoutSystemDns()
    {
        await using var server = new LoopbackHttpServer();
        using var guard = CreateGuard();
        using var http = CreateClient(guard, server.Port);

        // The host does not exist in any real DNS: only the guard's answer can have connected it.
        var body = await http.GetStringAsync(new Uri($"http://{Host}:{server.Port}/"));

        Assert.Equal("ok", body);
        Assert.Equal(1, server.Accepted);
    }

    [Fact]
    public async Task Send_FirstAddressRefusesConnection_TriesTheNextInOrder()
    {
        await using var server = new LoopbackHttpServer();
        _resolver.Addresses = ["127.0.0.3", "127.0.0.1"];
        using var guard = CreateGuard();
        using var http = CreateClient(guard, server.Port);

        // Nothing listens on 127.0.0.3 at the server's port, so that connect is refused.
        var body = await http.GetStringAsync(new Uri($"http://{Host}:{server.Port}/"));

        Assert.Equal("ok", body);
    }

    [Fact]
    public async Task Send_AnswerFlipsToPublic_RefusedAndPooledConnectionClosed()
    {
        await using var server = new LoopbackHttpServer();
        using var guard = CreateGuard();
        using var http = CreateClient(guard, server.Port);
        await http.GetStringAsync(new Uri($"http://{Host}:{server.Port}/"));

        _resolver.Addresses = ["20.1.2.3"];
        _time.Advance(TimeSpan.FromSeconds(31));
        var error = await Assert.ThrowsAsync<EndpointNetworkException>(() => http.GetStringAsync(new Uri($"http://{Host}:{server.Port}/")));

        Assert.Contains("20.1.2.3 (public)", error.Message, StringComparison.Ordinal);
        await server.ClientClosed.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(1, server.Accepted);
    }

    [Fact]
    public async Task Send_PreferPrivateOnlyPublic_UsesPublicAddress()
    {
        _resolver.Addresses = ["20.1.2.3"];
        using var guard = CreateGuard(NetworkPolicy.PreferPrivate);

        var verdict = await guard.VerifyAsync(Host, default);

        Assert.True(verdict.PublicFallback);
    }
}
