using System.Net;
using SecureAoai.Client.Networking.Internal;
using SecureAoai.Client.Networking.Internal.Dns;

namespace SecureAoai.Client.Tests.Networking.Dns;

public sealed class SystemHostResolverTests
{
    [Fact]
    public async Task ResolveAsync_Localhost_ReturnsLoopbackWithFixedTtl()
    {
        var resolution = await new SystemHostResolver().ResolveAsync("localhost", default);

        Assert.Contains(resolution.Addresses, IPAddress.IsLoopback);
        Assert.Equal("localhost", resolution.Chain[0]);
        Assert.Equal(SystemHostResolver.AssumedTimeToLive, resolution.TimeToLive);
        Assert.Equal(SystemHostResolver.SourceName, resolution.Source);
    }

    [Fact]
    public async Task ResolveAsync_InvalidTld_ThrowsHostResolutionException()
    {
        // RFC 6761: .invalid never resolves, and a resolver may answer it without asking any server.
        var error = await Assert.ThrowsAsync<HostResolutionException>(() => new SystemHostResolver().ResolveAsync("no-such-host.invalid", default).AsTask());

        Assert.Equal("no-such-host.invalid", error.Host);
        Assert.Contains("system resolver", error.Message, StringComparison.Ordinal);
    }
}
