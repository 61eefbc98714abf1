using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Overlay.Tests.Router;

/// <summary>
/// The router's shared grant requests: an answer is shared only by the asks that came while its request
/// ran, at the state version it was asked for. A request whose answer outlived it is how a dial still went
/// through three routers after its Dial policy was deleted (issue #12).
/// </summary>
public sealed class SharedGrantFetchesTests
{
    private static readonly RouterGrantCache.Key DialEcho = new(GrantKind.Dial, new string('a', 64), "echo");
    private static readonly byte[] Granted = [1];

    [Fact]
    public async Task GetAsync_AfterARequestAnsweredBeforeItWasListed_AsksTheControllerAgain()
    {
        var fetches = new SharedGrantFetches();

        // The controller's answer arrives before the asking thread has listed the request (on loopback,
        // under load, it does): the request is over, and must not stay listed as one under way.
        Assert.Same(Granted, await fetches.GetAsync(DialEcho, "e-1", _ => Task.FromResult<byte[]?>(Granted)));

        // The Dial policy is deleted; the router reads the change and asks again: the controller refuses.
        Assert.Null(await fetches.GetAsync(DialEcho, "e-2", _ => Task.FromResult<byte[]?>(null)));
        Assert.Equal(0, fetches.Count);
    }

    [Fact]
    public async Task GetAsync_AtTheSameVersionWhileARequestRuns_SharesItsAnswer()
    {
        var fetches = new SharedGrantFetches();
        var answer = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var asked = 0;
        Func<RouterGrantCache.Key, Task<byte[]?>> fetch = _ =>
        {
            Interlocked.Increment(ref asked);
            return answer.Task;
        };

        var first = fetches.GetAsync(DialEcho, "e-1", fetch);
        var second = fetches.GetAsync(DialEcho, "e-1", fetch);
        answer.SetResult(Granted);

        Assert.Same(Granted, await first);
        Assert.Same(Granted, await second);
        Assert.Equal(1, asked);
        Assert.Equal(0, fetches.Count);
    }

    [Fact]
    public async Task GetAsync_AtANewerVersionWhileAnOlderRequestRuns_AsksAgainAndGetsTheNewAnswer()
    {
        var fetches = new SharedGrantFetches();
        var before = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);

        // A dial asked before the policy was deleted; its request is still on its way.
        var old = fetches.GetAsync(DialEcho, "e-1", _ => before.Task);

        // The router has read the deletion: a dial now must not get the answer asked for before it.
        var after = fetches.GetAsync(DialEcho, "e-2", _ => Task.FromResult<byte[]?>(null));
        before.SetResult(Granted);

        Assert.Null(await after);
        Assert.Same(Granted, await old);
        Assert.Equal(0, fetches.Count);
    }

    [Fact]
    public async Task GetAsync_AfterARequestFailed_AsksAgain()
    {
        var fetches = new SharedGrantFetches();

        await Assert.ThrowsAsync<RouterAuthorityUnavailableException>(() =>
            fetches.GetAsync(DialEcho, "e-1", _ => Task.FromException<byte[]?>(new RouterAuthorityUnavailableException("controller unreachable"))));

        Assert.Same(Granted, await fetches.GetAsync(DialEcho, "e-1", _ => Task.FromResult<byte[]?>(Granted)));
        Assert.Equal(0, fetches.Count);
    }
}
