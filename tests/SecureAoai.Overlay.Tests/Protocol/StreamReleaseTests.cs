using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Protocol;

/// <summary>Streams are released from both sessions when they end, however they end.</summary>
public sealed class StreamReleaseTests
{
    [Fact]
    public async Task OpenAndDispose_ManyTimesAgainstEcho_BothSessionsReleaseEveryStream()
    {
        await using var pair = await SessionPair.OverTcpAsync();
        var echo = SessionPair.EchoAsync(pair.Acceptor);

        for (var i = 0; i < 1500; i++)
        {
            using var one = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            var stream = await pair.Initiator.OpenStreamAsync("x"u8.ToArray(), one.Token);
            await stream.DisposeAsync();
        }

        for (var i = 0; i < 100 && (pair.Initiator.ActiveStreamCount > 0 || pair.Acceptor.ActiveStreamCount > 0); i++)
        {
            await Task.Delay(20);
        }

        Assert.Equal(0, pair.Initiator.ActiveStreamCount);
        Assert.Equal(0, pair.Acceptor.ActiveStreamCount);
    }
}
