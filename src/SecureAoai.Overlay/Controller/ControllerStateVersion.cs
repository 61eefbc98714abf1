using System.Globalization;
using System.Security.Cryptography;

namespace SecureAoai.Overlay.Controller;

/// <summary>
/// The version of the controller's state that routers compare: <c>EPOCH-N</c>, where the epoch is
/// random per controller start (so a router never mistakes a restarted controller's count for its
/// own) and N counts the changes seen since. A change is any commit to <c>overlay.db</c>, by this
/// process or another (the CLI), noticed by asking SQLite's <c>data_version</c> every
/// <see cref="OverlayControllerOptions.StatePollInterval"/>. Routers long-poll <see cref="WaitForChangeAsync"/>.
/// One per controller (<see cref="OverlayController.StateVersion"/>): its server and its in-process
/// routers watch the same one.
/// </summary>
internal sealed class ControllerStateVersion : IAsyncDisposable
{
    private readonly OverlayStore _store;
    private readonly TimeProvider _time;
    private readonly PeriodicTimer _timer;
    private readonly string _epoch = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _dataVersion;
    private long _count;
    private Task _poll = Task.CompletedTask;

    public ControllerStateVersion(OverlayStore store, TimeProvider time, TimeSpan pollInterval)
    {
        _store = store;
        _time = time;
        _timer = new PeriodicTimer(pollInterval, time);
        _dataVersion = store.DataVersion();
    }

    /// <summary>The current version.</summary>
    public string Current
    {
        get
        {
            lock (_gate)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{_epoch}-{_count}");
            }
        }
    }

    public void Start() => _poll = PollAsync(_stop.Token);

    /// <summary>Polls at least every <paramref name="interval"/> from now on (a watcher that needs changes sooner than the others).</summary>
    public void PollAtLeastEvery(TimeSpan interval)
    {
        lock (_gate)
        {
            if (interval < _timer.Period)
            {
                _timer.Period = interval;
            }
        }
    }

    /// <summary>Checks the database now (as the poll does); true when it changed.</summary>
    public bool Check()
    {
        var version = _store.DataVersion();
        TaskCompletionSource changed;
        lock (_gate)
        {
            if (version == _dataVersion)
            {
                return false;
            }

            _dataVersion = version;
            _count++;
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
        return true;
    }

    /// <summary>
    /// The current version as soon as it differs from <paramref name="known"/>, or after
    /// <paramref name="wait"/> (then the same one): a long poll.
    /// </summary>
    public async Task<string> WaitForChangeAsync(string? known, TimeSpan wait, CancellationToken cancellationToken)
    {
        Task changed;
        lock (_gate)
        {
            changed = _changed.Task;
        }

        var current = Current;
        if (current != known)
        {
            return current;
        }

        try
        {
            await changed.WaitAsync(wait, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Nothing changed: the router hears the same version and asks again.
        }

        return Current;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _poll.ConfigureAwait(false);
        _timer.Dispose();
        _stop.Dispose();
    }

    private async Task PollAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (await _timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    Check();
                }
                catch (Microsoft.Data.Sqlite.SqliteException)
                {
                    // The database is busy or briefly unreadable: the next tick asks again.
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The controller is stopping.
        }
    }
}
