using Microsoft.Extensions.Logging.Abstractions;

namespace SecureAoai.Overlay.Tests.Router;

/// <summary>
/// How a context chooses among several routers and how fast it comes back to a lost one: the dial order
/// (health, then measured latency, then address) and the reconnect backoff's cap.
/// </summary>
public sealed class SeveralRoutersChoiceTests
{
    [Fact]
    public void DialOrder_OfRoutersWithMeasuredLatencies_PrefersTheFastestAndBreaksTiesByAddress()
    {
        var slow = Link("127.0.0.1:3001", 40);
        var fastB = Link("127.0.0.1:3003", 5);
        var fastA = Link("127.0.0.1:3002", 5);

        var order = RouterLinks.DialOrder([slow, fastB, fastA]).Select(l => l.Address).ToList();

        Assert.Equal(["127.0.0.1:3002", "127.0.0.1:3003", "127.0.0.1:3001"], order);
        Assert.Equal(order, RouterLinks.DialOrder([fastA, slow, fastB]).Select(l => l.Address));
    }

    [Fact]
    public void DialOrder_ARouterNotYetMeasured_IsTriedFirstSoItGetsMeasured()
    {
        var measured = Link("127.0.0.1:3001", 1);
        var fresh = Link("127.0.0.1:3009", null);

        Assert.Equal(fresh, RouterLinks.DialOrder([measured, fresh]).First());
    }

    [Fact]
    public void Latency_AfterASlowSample_MovesByTheSampleWeightOnly()
    {
        var link = Link("127.0.0.1:3001", 10);

        link.RecordLatency(110);

        Assert.Equal(10 + (RouterLink.LatencySampleWeight * 100), link.LatencyMs, 6);
    }

    [Fact]
    public void ReconnectBackoff_WithTheDefaults_GrowsToOneSecondAndNeverWaitsLonger()
    {
        var options = new OverlayContextOptions();
        Assert.Equal(TimeSpan.FromSeconds(1), options.ReconnectMaxDelay);
        var delay = options.ReconnectMinDelay;
        var waits = new List<TimeSpan>();
        for (var failure = 0; failure < 50; failure++)
        {
            waits.Add(RouterLink.Jittered(delay, 0));
            delay = RouterLink.NextDelay(delay, options);
        }

        Assert.Equal(options.ReconnectMaxDelay, waits.Max());
        Assert.Equal(options.ReconnectMaxDelay, waits[^1]);
        Assert.Equal(options.ReconnectMaxDelay * 0.75, RouterLink.Jittered(options.ReconnectMaxDelay, 1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Validate_WithMaxBindRoutersBelowOne_IsRefusedNamingTheOption(int max)
    {
        var options = new OverlayContextOptions { MaxBindRouters = max };

        var refused = Assert.Throws<ArgumentOutOfRangeException>(() => options.Validate());

        Assert.Contains("MaxBindRouters", refused.Message, StringComparison.Ordinal);
    }

    private static RouterLink Link(string address, double? latencyMs)
    {
        var link = new RouterLink(address, null!, new OverlayContextOptions(), new ListenerRegistry(), NullLogger.Instance, keepConnected: false);
        if (latencyMs is { } ms)
        {
            link.RecordLatency(ms);
        }

        return link;
    }
}
