using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace SecureAoai.Overlay.Crypto;

/// <summary>
/// Ephemeral P-256 key pairs for the end-to-end handshake, generated ahead of time off the dial's path,
/// and the disposal of used ones, also off the path. One per <see cref="OverlayContext"/>.
/// </summary>
/// <remarks>
/// <para>Each key is handed out once, by <see cref="Take"/>, which removes it from the pool: no key
/// agrees two streams' secrets, so each stream's forward secrecy is what a key made on the spot gives.
/// The pool holds at most <see cref="MaxPooledKeys"/> unused keys (private keys in this process's memory
/// before their handshake, as a key made on the spot would be a moment later); when it is empty,
/// <see cref="Take"/> makes one on the spot, so a burst of dials never waits for the pool.</para>
/// <para>A handshake gives its used key back through <see cref="Retire"/>, which disposes it (OpenSSL
/// clears the private scalar) on the same background work item that refills the pool, so the dial does not
/// pay for the free either. Retired keys not yet disposed are bounded by <see cref="MaxRetiredKeys"/>;
/// past it, <see cref="Retire"/> disposes at once. Disposing the pool disposes every key it holds.</para>
/// </remarks>
internal sealed class EphemeralKeyPool : IDisposable
{
    /// <summary>The most unused keys kept ready. The default value is 4.</summary>
    public const int MaxPooledKeys = 4;

    /// <summary>The most used keys waiting for background disposal before <see cref="Retire"/> disposes inline. The default value is 64.</summary>
    public const int MaxRetiredKeys = 64;

    private readonly ConcurrentQueue<ECDiffieHellman> _ready = new();
    private readonly ConcurrentQueue<IDisposable> _retired = new();
    private readonly Func<ECDiffieHellman> _create;
    private readonly Action<Action> _schedule;
    private readonly int _capacity;
    private int _readyCount;
    private int _retiredCount;
    private int _working;
    private int _disposed;

    /// <summary>A pool of <see cref="MaxPooledKeys"/> P-256 keys, refilled on the thread pool.</summary>
    public EphemeralKeyPool()
        : this(MaxPooledKeys, () => ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256), work => ThreadPool.UnsafeQueueUserWorkItem(static w => w(), work, preferLocal: false))
    {
    }

    /// <summary>For tests: the capacity, how a key is made, and where the background work runs.</summary>
    internal EphemeralKeyPool(int capacity, Func<ECDiffieHellman> create, Action<Action> schedule)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _capacity = capacity;
        _create = create;
        _schedule = schedule;
        ScheduleWork();
    }

    /// <summary>Unused keys ready now.</summary>
    internal int ReadyCount => Volatile.Read(ref _readyCount);

    /// <summary>Used keys not yet disposed.</summary>
    internal int RetiredCount => Volatile.Read(ref _retiredCount);

    /// <summary>
    /// A key pair no one else has or will get; the caller owns it and gives it to <see cref="Retire"/> (or
    /// disposes it) after use. After <see cref="Dispose"/> (a handshake still running while its context
    /// closes), a key made on the spot.
    /// </summary>
    public ECDiffieHellman Take()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return _create();
        }

        if (_ready.TryDequeue(out var key))
        {
            Interlocked.Decrement(ref _readyCount);
            ScheduleWork();
            return key;
        }

        ScheduleWork();
        return _create();
    }

    /// <summary>Disposes <paramref name="used"/> in the background (at once when the pool is disposed or too many wait).</summary>
    public void Retire(IDisposable used)
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            used.Dispose();
            return;
        }

        if (Interlocked.Increment(ref _retiredCount) > MaxRetiredKeys)
        {
            Interlocked.Decrement(ref _retiredCount);
            used.Dispose();
            return;
        }

        _retired.Enqueue(used);
        ScheduleWork();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Drain();
    }

    private void ScheduleWork()
    {
        if (Interlocked.CompareExchange(ref _working, 1, 0) == 0)
        {
            _schedule(Work);
        }
    }

    private void Work()
    {
        try
        {
            DisposeRetired();
            while (Volatile.Read(ref _disposed) == 0 && Volatile.Read(ref _readyCount) < _capacity)
            {
                _ready.Enqueue(_create());
                Interlocked.Increment(ref _readyCount);
            }
        }
        finally
        {
            Volatile.Write(ref _working, 0);
        }

        if (Volatile.Read(ref _disposed) != 0)
        {
            // Disposed while this ran: what it added since Dispose drained is disposed here.
            Drain();
        }
        else if (!_retired.IsEmpty)
        {
            // Retired while this finished: their disposal must not wait for the next Take.
            ScheduleWork();
        }
    }

    private void DisposeRetired()
    {
        while (_retired.TryDequeue(out var used))
        {
            Interlocked.Decrement(ref _retiredCount);
            used.Dispose();
        }
    }

    private void Drain()
    {
        DisposeRetired();
        while (_ready.TryDequeue(out var key))
        {
            Interlocked.Decrement(ref _readyCount);
            key.Dispose();
        }
    }
}
