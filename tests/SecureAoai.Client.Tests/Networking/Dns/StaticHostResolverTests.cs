using System.Net;
using SecureAoai.Client.Networking.Internal;
using SecureAoai.Client.Networking.Internal.Dns;

namespace SecureAoai.Client.Tests.Networking.Dns;

public sealed class StaticHostResolverTests
{
    private sealed class RecordingResolver : IHostResolver
    {
        public List<string> Asked { get; } = [];

        public ValueTask<HostResolution> ResolveAsync(string host, CancellationToken cancellationToken)
        {
            Asked.Add(host);
            return ValueTask.FromResult(new HostResolution(host, [host], [IPAddress.Parse("10.9.9.9")], TimeSpan.FromSeconds(1), "inner"));
        }
    }

    private static StaticHostResolver Resolver(RecordingResolver inner) => new(
        [new("aoai-east.openai.azure.com", [IPAddress.Parse("fd00::5"), IPAddress.Parse("10.1.2.3")])], inner);

    [Fact]
    public async Task ResolveAsync_OverriddenHostInOtherCase_ReturnsOverrideIpv4FirstWithoutAskingInner()
    {
        var inner = new RecordingResolver();

        var resolution = await Resolver(inner).ResolveAsync("AOAI-East.openai.azure.com.", default);

        Assert.Equal([IPAddress.Parse("10.1.2.3"), IPAddress.Parse("fd00::5")], resolution.Addresses);
        Assert.Equal(["AOAI-East.openai.azure.com."], resolution.Chain);
        Assert.Equal(StaticHostResolver.SourceName, resolution.Source);
        Assert.Equal(StaticHostResolver.OverrideTimeToLive, resolution.TimeToLive);
        Assert.Empty(inner.Asked);
    }

    [Fact]
    public async Task ResolveAsync_OtherHost_AsksInner()
    {
        var inner = new RecordingResolver();

        var resolution = await Resolver(inner).ResolveAsync("other.example", default);

        Assert.Equal("inner", resolution.Source);
        Assert.Equal(["other.example"], inner.Asked);
    }

    [Fact]
    public void Constructor_OverrideWithoutAddress_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => new StaticHostResolver([new("a.test", [])], new RecordingResolver()));
    }

    [Fact]
    public void Constructor_DuplicateOverrideInOtherCase_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => new StaticHostResolver(
            [new("a.test", [IPAddress.Loopback]), new("A.TEST", [IPAddress.Loopback])], new RecordingResolver()));
    }
}
