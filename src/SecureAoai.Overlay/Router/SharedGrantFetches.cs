using System.Collections.Concurrent;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// The router's grant requests to its controller that are under way: dials and binds that need the same
/// answer, at the same state version, share one request instead of asking once each.
/// </summary>
/// <remarks>
/// A request is listed before it starts and leaves the list before its answer is handed out, so an answer
/// is only ever shared by the asks that came while its request ran. A request never outlives its answer:
/// when one stayed listed (it answered before it was listed), every later dial of that identity on that
/// service got its grant, past policy changes and the router's cache alike. Asks at a newer state version
/// never join a request made for an older one: a router that has read a policy change asks the controller
/// afresh, and does not hand out an answer the controller gave before the change.
/// </remarks>
internal sealed class SharedGrantFetches
{
    private readonly ConcurrentDictionary<(RouterGrantCache.Key Key, string Version), Task<byte[]?>> _running = new();

    /// <summary>How many requests are under way.</summary>
    public int Count => _running.Count;

    /// <summary>
    /// The answer of the request under way for <paramref name="key"/> at <paramref name="version"/> (the
    /// router's state version now), or of a new one made by <paramref name="fetch"/>.
    /// </summary>
    public Task<byte[]?> GetAsync(RouterGrantCache.Key key, string version, Func<RouterGrantCache.Key, Task<byte[]?>> fetch)
    {
        var slot = (key, version);
        while (true)
        {
            if (_running.TryGetValue(slot, out var running))
            {
                return running;
            }

            var answer = new TaskCompletionSource<byte[]?>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_running.TryAdd(slot, answer.Task))
            {
                _ = RunAsync(slot, answer, fetch);
                return answer.Task;
            }
        }
    }

    /// <summary>Makes the request, then unlists it, then hands out its answer (or its failure).</summary>
    private async Task RunAsync((RouterGrantCache.Key Key, string Version) slot, TaskCompletionSource<byte[]?> answer, Func<RouterGrantCache.Key, Task<byte[]?>> fetch)
    {
        try
        {
            var grant = await fetch(slot.Key).ConfigureAwait(false);
            _running.TryRemove(KeyValuePair.Create(slot, answer.Task));
            answer.SetResult(grant);
        }
        catch (Exception ex)
        {
            _running.TryRemove(KeyValuePair.Create(slot, answer.Task));
            if (ex is OperationCanceledException canceled)
            {
                answer.SetCanceled(canceled.CancellationToken);
            }
            else
            {
                answer.SetException(ex);
            }
        }
    }
}
