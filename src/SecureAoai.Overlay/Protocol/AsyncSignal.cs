using System.Threading.Tasks.Sources;

namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// A wake-up for one waiter at a time that allocates nothing once created, where a
/// <see cref="TaskCompletionSource"/> per wait allocated on every credit stall. The waiter arms it
/// (under the lock that guards the condition it waits for, so a wake right after cannot be missed) and
/// awaits; anyone may wake it. A wake with no waiter armed is dropped, so a waiter always re-checks its
/// condition after it wakes.
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private readonly Lock _sync = new();
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private CancellationTokenRegistration _cancellation;
    private bool _armed;

    /// <summary>Arms the signal and returns the wait; the previous wait must have been awaited.</summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        short version;
        lock (_sync)
        {
            _core.Reset();
            _armed = true;
            version = _core.Version;
        }

        if (cancellationToken.CanBeCanceled)
        {
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((AsyncSignal)state!).Complete(new OperationCanceledException(token)), this);
        }

        return new ValueTask(this, version);
    }

    /// <summary>Wakes the armed waiter, if any.</summary>
    public void Set() => Complete(null);

    void IValueTaskSource.GetResult(short token)
    {
        _cancellation.Dispose();
        _cancellation = default;
        _core.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Complete(Exception? error)
    {
        lock (_sync)
        {
            if (!_armed)
            {
                return;
            }

            _armed = false;
        }

        if (error is null)
        {
            _core.SetResult(true);
        }
        else
        {
            _core.SetException(error);
        }
    }
}
