using Microsoft.Extensions.Time.Testing;
using SecureAoai.Overlay.Router;
using SecureAoai.Overlay.Tests.Fabric;

namespace SecureAoai.Overlay.Tests.Router;

/// <summary>
/// The controller becomes unreachable: an enrolled router serves from its snapshot for
/// <see cref="OverlayRouterHostOptions.ControllerOutageTolerance"/> after the controller's last answer, then
/// refuses with <see cref="OverlayDialFailure.ControllerUnreachable"/>, and serves again once the controller
/// is back. The tolerance runs on the router's fake clock; real time only guards against hangs.
/// </summary>
public sealed class EnrolledRouterOutageTests : IAsyncLifetime
{
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private readonly CancellationTokenSource _cancel = new(TimeSpan.FromSeconds(60));
    private EnrolledRouterFixture _fixture = null!;
    private OverlayContext _client = null!;

    public async Task InitializeAsync()
    {
        _fixture = await EnrolledRouterFixture.StartAsync(_time, Tolerance);
        (_client, _) = await _fixture.StartEchoAsync(_cancel.Token);
        await RoundTripAsync(); // the router now holds a dial grant, as a router in use does
    }

    public async Task DisposeAsync()
    {
        await _cancel.CancelAsync();
        await _fixture.DisposeAsync();
        _cancel.Dispose();
    }

    [Fact]
    public async Task Dial_ControllerDownForLessThanTheTolerance_IsServedFromTheSnapshot()
    {
        await _fixture.StopControllerAsync();

        _time.Advance(Tolerance - TimeSpan.FromSeconds(1));

        Assert.Equal("ping"u8.ToArray(), await RoundTripAsync());
    }

    [Fact]
    public async Task Dial_ControllerDownForLongerThanTheTolerance_IsRefusedAsControllerUnreachable()
    {
        await _fixture.StopControllerAsync();

        _time.Advance(Tolerance + TimeSpan.FromSeconds(1));

        var refused = await Assert.ThrowsAsync<OverlayDialException>(RoundTripAsync);
        Assert.Equal(OverlayDialFailure.ControllerUnreachable, refused.Reason);
        Assert.Contains("ControllerOutageTolerance", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dial_NewServiceDuringTheOutage_IsRefusedAsControllerUnreachableNotAsForbidden()
    {
        _fixture.Admin.CreateService("other", ["demo"]);
        await _fixture.StopControllerAsync();

        var refused = await Assert.ThrowsAsync<OverlayDialException>(() => _client.DialAsync("other", _cancel.Token));

        Assert.Equal(OverlayDialFailure.ControllerUnreachable, refused.Reason);
    }

    [Fact]
    public async Task Dial_ControllerBackAfterTheTolerance_IsServedAgainOnceTheRouterReadItsSnapshot()
    {
        await _fixture.StopControllerAsync();
        _time.Advance(Tolerance + TimeSpan.FromSeconds(1));
        Assert.Equal(OverlayDialFailure.ControllerUnreachable, (await Assert.ThrowsAsync<OverlayDialException>(RoundTripAsync)).Reason);
        var renewed = _fixture.NextSnapshotAsync();

        await _fixture.RestartControllerAsync();
        // The router retries on its own clock, at most RemoteRouterAuthority.MaxRetryDelay apart: move it on until it has read its snapshot.
        for (var step = 0; step < 200 && !renewed.IsCompleted; step++)
        {
            _time.Advance(RemoteRouterAuthority.MaxRetryDelay);
            await Task.WhenAny(renewed, Task.Delay(TimeSpan.FromMilliseconds(50), _cancel.Token));
        }

        await renewed.WaitAsync(_cancel.Token);
        Assert.Equal("ping"u8.ToArray(), await RoundTripAsync());
    }

    private async Task<byte[]> RoundTripAsync()
    {
        await using var stream = await _client.DialAsync("echo", _cancel.Token);
        return await EchoServer.RoundTripAsync(stream, "ping"u8.ToArray(), _cancel.Token);
    }
}
