using System.Net;
using Microsoft.Extensions.Time.Testing;
using SecureAoai.Client.Networking.Internal;
using SecureAoai.Client.Networking.Internal.Dns;

namespace SecureAoai.Client.Tests.Networking.Dns;

/// <summary>
/// The stub resolver against a real dnsmasq. Attempt timeouts run on a <see cref="FakeTimeProvider"/>, so a busy machine
/// never turns dnsmasq's answer into a timeout; <see cref="HangGuard"/> only guards against a hang.
/// </summary>
public sealed class DnsStubResolverDnsmasqTests(DnsmasqFixture dns) : IClassFixture<DnsmasqFixture>
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    private readonly FakeTimeProvider _time = new();

    private DnsStubResolver Resolver(Action<DnsStubResolverOptions>? configure = null, params string[] servers)
    {
        var options = DnsStubResolverOptions.ForServers(servers.Length > 0 ? servers : [dns.Address]);
        configure?.Invoke(options);
        return new DnsStubResolver(options, _time);
    }

    private static Task<HostResolution> ResolveAsync(DnsStubResolver resolver, string host) =>
        resolver.ResolveAsync(host, default).AsTask().WaitAsync(HangGuard);

    [Fact]
    public async Task ResolveAsync_PrivateEndpointCname_ReturnsChainAddressTtlAndServer()
    {
        var resolution = await ResolveAsync(Resolver(), "aoai-east.openai.azure.com");

        Assert.Equal("aoai-east.openai.azure.com", resolution.Host);
        Assert.Equal(["aoai-east.openai.azure.com", "aoai-east.privatelink.openai.azure.com"], resolution.Chain);
        Assert.Equal([IPAddress.Parse("10.1.2.3")], resolution.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(DnsmasqFixture.DefaultTtlSeconds), resolution.TimeToLive);
        Assert.Equal($"DNS {dns.Address}", resolution.Source);
    }

    [Fact]
    public async Task ResolveAsync_BothFamilies_ReturnsIpv4ThenIpv6()
    {
        var resolution = await ResolveAsync(Resolver(), "dual.test");

        Assert.Equal([IPAddress.Parse("10.0.0.1"), IPAddress.Parse("fd00::1")], resolution.Addresses);
    }

    [Fact]
    public async Task ResolveAsync_UnknownName_ThrowsNameNotFound()
    {
        var error = await Assert.ThrowsAsync<HostResolutionException>(() => ResolveAsync(Resolver(), "missing.test"));

        Assert.Equal(HostResolutionFailure.NameNotFound, error.Failure);
        Assert.Equal("missing.test", error.Host);
        Assert.Contains($"{dns.Address} answered NXDOMAIN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_NameWithOnlyTxt_ThrowsNoAddress()
    {
        var error = await Assert.ThrowsAsync<HostResolutionException>(() => ResolveAsync(Resolver(), "txt-only.test"));

        Assert.Equal(HostResolutionFailure.NoAddress, error.Failure);
    }

    [Fact]
    public async Task ResolveAsync_AnswerOverEdnsSize_FallsBackToTcpAndGetsAllRecords()
    {
        var resolution = await ResolveAsync(Resolver(), "big.test");

        // 100 A records take about 1.6 KB; only the TCP answer can carry them all.
        Assert.Equal(DnsmasqFixture.BigRecordCount, resolution.Addresses.Count);
    }

    [Fact]
    public async Task ResolveAsync_WithoutEdnsOver512Bytes_FallsBackToTcpAndGetsAllRecords()
    {
        var resolution = await ResolveAsync(Resolver(o => o.UseEdns = false), "big.test");

        Assert.Equal(DnsmasqFixture.BigRecordCount, resolution.Addresses.Count);
    }

    [Fact]
    public async Task ResolveAsync_FirstServerSilent_TimesOutThenNextServerAnswers()
    {
        await using var silent = ScriptedDnsServer.Silent();
        var attemptTimeout = TimeSpan.FromSeconds(2);
        var resolver = Resolver(o => { o.AttemptTimeout = attemptTimeout; o.AttemptsPerServer = 1; }, silent.EndPoint.ToString(), dns.Address);
        var lookup = ResolveAsync(resolver, "aoai-east.openai.azure.com");

        // Both queries (A and AAAA) reached the silent server; only the attempt timeout moves the lookup on.
        await silent.WaitForUdpQueriesAsync(2, HangGuard);
        _time.Advance(attemptTimeout);
        var resolution = await lookup;

        Assert.Equal([IPAddress.Parse("10.1.2.3")], resolution.Addresses);
        Assert.Equal($"DNS {dns.Address}", resolution.Source);
        Assert.Equal(2, silent.UdpQueries);
    }

    [Fact]
    public async Task ResolveAsync_AnswerChangesAfterRestartWithCacheOff_ReturnsNewAnswer()
    {
        await using var flipping = await DnsmasqFixture.StartAsync(["--local-ttl=60", "--local=/test/", "--host-record=flip.test,10.0.0.1"]);
        var options = DnsStubResolverOptions.ForServers(flipping.Address);
        options.MaxTimeToLive = TimeSpan.Zero;
        var resolver = new DnsStubResolver(options, _time);
        var before = await ResolveAsync(resolver, "flip.test");

        await flipping.RestartAsync(["--local-ttl=60", "--local=/test/", "--host-record=flip.test,20.0.0.1"]);
        var after = await ResolveAsync(resolver, "flip.test");

        Assert.Equal([IPAddress.Parse("10.0.0.1")], before.Addresses);
        Assert.Equal([IPAddress.Parse("20.0.0.1")], after.Addresses);
    }
}
