using Microsoft.Extensions.Time.Testing;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Overlay.Tests.Controller;

/// <summary>
/// The controller's state version is one per controller: its server and the routers in its process
/// watch the same one, so a change made elsewhere (the CLI) reaches all of them from one poll.
/// </summary>
public sealed class ControllerStateVersionTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ChangeFromAnotherProcess_ServerAndInProcessRouter_BothSeeItFromOnePoll()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var overlay = OverlayFixture.Start(time);
        using var authority = new ControllerAuthority(overlay.Controller, "router");
        var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        authority.StateChanged += () => changed.TrySetResult();
        var before = overlay.Server!.State.Current;

        Assert.Same(overlay.Server.State, overlay.Controller.StateVersion(OverlayControllerOptions.DefaultStatePollInterval));
        using (var cli = OverlayAdministration.Open(overlay.Directory))
        {
            cli.CreateService("echo", []);
        }

        time.Advance(OverlayControllerOptions.DefaultStatePollInterval);

        await changed.Task.WaitAsync(HangGuard);
        Assert.NotEqual(before, overlay.Server.State.Current);
    }

    [Fact]
    public async Task StateVersion_AskedWithAShorterInterval_PollsThatOftenFromThenOn()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var overlay = OverlayFixture.Start(time, serve: false);
        var slow = overlay.Controller.StateVersion(TimeSpan.FromMinutes(1));
        var fast = overlay.Controller.StateVersion(TimeSpan.FromMilliseconds(250));
        Assert.Same(slow, fast);
        var before = slow.Current;
        var seen = slow.WaitForChangeAsync(before, Timeout.InfiniteTimeSpan, CancellationToken.None);

        using (var cli = OverlayAdministration.Open(overlay.Directory))
        {
            cli.CreateService("echo", []);
        }

        time.Advance(TimeSpan.FromMilliseconds(250));

        Assert.NotEqual(before, await seen.WaitAsync(HangGuard));
    }
}
