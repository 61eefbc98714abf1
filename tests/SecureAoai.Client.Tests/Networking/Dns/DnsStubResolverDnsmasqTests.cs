using System.Diagnostics;
using System.Net;
using SecureAoai.Client.Networking.Internal;
using SecureAoai.Client.Networking.Internal.Dns;

namespace SecureAoai.Client.Tests.Networking.Dns;

/// <summary>The stub resolver against a real dnsmasq.</summary>
public sealed class DnsStubResolverDnsmasqTests(DnsmasqFixture dns) : IClassFixture<DnsmasqFixture>
{
    private DnsStubResolver Resolver(Action<DnsStubResolverOptions>? configure = null, params string[] servers)
    {
        var options = DnsStubResolverOptions.ForServers(servers.Length > 0 ? servers : [dns.Address]);
        configure?.Invoke(options);
        return new DnsStubResolver(options);
    }

    [Fact]
    public async Task ResolveAsync_PrivateEndpointCname_ReturnsChainAddressTtlAndServer()
    {
        var resolution = await Resolver().ResolveAsync("aoai-east.openai.azure.com", default);

        Assert.Equal("aoai-east.openai.azure.com", resolution.Host);
        Assert.Equal(["aoai-east.openai.azure.com", "aoai-east.privatelink.openai.azure.com"], resolution.Chain);
        Assert.Equal([IPAddress.Parse("10.1.2.3")], resolution.Addresses);
        Assert.Equal(TimeSpan.FromSeconds(DnsmasqFixture.DefaultTtlSeconds), resolution.TimeToLive);
        Assert.Equal($"DNS {dns.Address}", resolution.Source);
    }

    [Fact]
    public async Task ResolveAsync_BothFamilies_ReturnsIpv4ThenIpv6()
    {
        var resolution = await Resolver().ResolveAsync("dual.test", default);

        Assert.Equal([IPAddress.Parse("10.0.0.1"), IPAddress.Parse("fd00::1")], resolution.Addresses);
    }

    [Fact]
    public async Task ResolveAsync_UnknownName_ThrowsNameNotFound()
    {
        var error = await Assert.ThrowsAsync<HostResolutionException>(() => Resolver().ResolveAsync("missing.test", default).AsTask());

        Assert.Equal(HostResolutionFailure.NameNotFound, error.Failure);
        Assert.Equal("missing.test", error.Host);
        Assert.Contains($"{dns.Address} answered NXDOMAIN", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ResolveAsync_NameWithOnlyTxt_ThrowsNoAddress()
    {
        var error = await Assert.ThrowsAsync<HostResolutionException>(() => Resolver().ResolveAsync("txt-only.test", default).AsTask());

        Assert.Equal(HostResolutionFailure.NoAddress, error.Failure);
    }

    [Fact]
    public async Task ResolveAsync_AnswerOverEdnsSize_FallsBackToTcpAndGetsAllRecords()
    {
        var resolution = await Resolver().ResolveAsync("big.test", default);

        // 100 A records take about 1.6 KB; only the TCP answer can carry them all.
        Assert.Equal(DnsmasqFixture.BigRecordCount, resolution.Addresses.Count);
    }

    [Fact]
    public async Task ResolveAsync_WithoutEdnsOver512Bytes_FallsBackToTcpAndGetsAllRecords()
    {
        var resolution = await Resolver(o => o.UseEdns = false).ResolveAsync("big.test", default);

        Assert.Equal(DnsmasqFixture.BigRecordCount, resolution.Addresses.Count);
    }

    [Fact]
    public async Task ResolveAsync_FirstServerSilent_TimesOutThenNextServerAnswers()
    {
        await using var silent = ScriptedDnsServer.Silent();
        var resolver = Resolver(o => { o.AttemptTimeout = TimeSpan.FromMilliseconds(300); o.AttemptsPerServer = 1; }, silent.EndPoint.ToString(), dns.Address);
        var stopwatch = Stopwatch.StartNew();

        var resolution = await resolver.ResolveAsync("aoai-east.openai.azure.com", default);

        Assert.Equal([IPAddress.Parse("10.1.2.3")], resolution.Addresses);
        Assert.Equal($"DNS {dns.Address}", resolution.Source);
        Assert.True(silent.UdpQueries >= 1);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(5), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task ResolveAsync_AnswerChangesAfterRestartWithCacheOff_ReturnsNewAnswer()
    {
        await using var flipping = await DnsmasqFixture.StartAsync(["--local-ttl=60", "--local=/test/", "--host-record=flip.test,10.0.0.1"]);
        var options = DnsStubResolverOptions.ForServers(flipping.Address);
        options.MaxTimeToLive = TimeSpan.Zero;
        var resolver = new DnsStubResolver(options);
        var before = await resolver.ResolveAsync("flip.test", default);

        await flipping.RestartAsync(["--local-ttl=60", "--local=/test/", "--host-record=flip.test,20.0.0.1"]);
        var after = await resolver.ResolveAsync("flip.test", default);

        Assert.Equal([IPAddress.Parse("10.0.0.1")], before.Addresses);
        Assert.Equal([IPAddress.Parse("20.0.0.1")], after.Addresses);
    }
}
