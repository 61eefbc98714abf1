using System.Net;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay.Tests.Internal;

public sealed class ConnectionsPerSourceTests
{
    [Theory]
    [InlineData("2001:db8:1:2:aaaa::1", "2001:db8:1:2:ffff::9")]   // one host's /64
    [InlineData("192.0.2.7", "::ffff:192.0.2.7")]                  // IPv4, and the same address mapped into IPv6
    public void SourceOf_AddressesOfOneHost_AreOneSource(string first, string second) =>
        Assert.Equal(
            ConnectionsPerSource.SourceOf(new IPEndPoint(IPAddress.Parse(first), 1000)),
            ConnectionsPerSource.SourceOf(new IPEndPoint(IPAddress.Parse(second), 2000)));

    [Theory]
    [InlineData("2001:db8:1:2::1", "2001:db8:1:3::1")]
    [InlineData("192.0.2.7", "192.0.2.8")]
    public void SourceOf_DifferentHosts_AreDifferentSources(string first, string second) =>
        Assert.NotEqual(
            ConnectionsPerSource.SourceOf(new IPEndPoint(IPAddress.Parse(first), 1000)),
            ConnectionsPerSource.SourceOf(new IPEndPoint(IPAddress.Parse(second), 1000)));

    [Fact]
    public void TryAdd_PastTheLimit_RefusedUntilOneIsRemoved()
    {
        var limiter = new ConnectionsPerSource(maxPerSource: 2);
        var source = IPAddress.Parse("192.0.2.7");
        var other = IPAddress.Parse("192.0.2.8");

        Assert.True(limiter.TryAdd(source));
        Assert.True(limiter.TryAdd(source));
        Assert.False(limiter.TryAdd(source));
        Assert.True(limiter.TryAdd(other));
        limiter.Remove(source);
        Assert.True(limiter.TryAdd(source));
    }
}
