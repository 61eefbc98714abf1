using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Crypto;

public sealed class EphemeralKeyPoolTests : IDisposable
{
    private const string Service = "chatapp";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly ManualWork _work = new();
    private readonly List<ECDiffieHellman> _made = [];
    private readonly X509Certificate2 _ca = TestPki.CreateCa("overlay-ca");
    private readonly X509Certificate2 _dialer;
    private readonly X509Certificate2 _binder;

    public EphemeralKeyPoolTests()
    {
        _dialer = TestPki.CreateIdentity(_ca, "dialer-identity");
        _binder = TestPki.CreateIdentity(_ca, "binder-identity");
    }

    [Fact]
    public void Take_ManyTimesWithRefills_NeverHandsOutTheSameKeyTwice()
    {
        using var pool = NewPool(capacity: 4);
        var taken = new List<ECDiffieHellman>();
        for (var i = 0; i < 20; i++)
        {
            _work.RunAll();
            taken.Add(pool.Take());
        }

        Assert.Equal(taken.Count, taken.Distinct().Count());
        Assert.Equal(taken.Count, taken.Select(PublicKeyHex).Distinct().Count());
        foreach (var key in taken)
        {
            key.Dispose();
        }
    }

    [Fact]
    public void Refill_RunRepeatedly_HoldsNoMoreThanTheCapacity()
    {
        using var pool = NewPool(capacity: 3);
        for (var i = 0; i < 10; i++)
        {
            _work.RunAll();
        }

        Assert.Equal(3, pool.ReadyCount);
        Assert.Equal(3, _made.Count);
    }

    [Fact]
    public void Take_PoolEmptyAndNotRefilled_MakesAWorkingKeyOnTheSpot()
    {
        using var pool = NewPool(capacity: 4);
        using var peer = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);

        using var key = pool.Take();

        Assert.Equal(0, pool.ReadyCount);
        Assert.Equal(32, key.DeriveRawSecretAgreement(peer.PublicKey).Length);
    }

    [Fact]
    public void Retire_DisposesTheKeyOnTheBackgroundWorkNotBefore()
    {
        using var pool = NewPool(capacity: 1);
        var key = pool.Take();

        pool.Retire(key);
        var before = IsDisposed(key);
        _work.RunAll();

        Assert.False(before);
        Assert.True(IsDisposed(key));
        Assert.Equal(0, pool.RetiredCount);
    }

    [Fact]
    public void Retire_MoreThanTheBoundWaiting_DisposesTheRestAtOnce()
    {
        using var pool = NewPool(capacity: 0);
        var keys = Enumerable.Range(0, EphemeralKeyPool.MaxRetiredKeys + 3).Select(_ => pool.Take()).ToList();

        foreach (var key in keys)
        {
            pool.Retire(key);
        }

        Assert.Equal(EphemeralKeyPool.MaxRetiredKeys, pool.RetiredCount);
        Assert.Equal(3, keys.Count(IsDisposed));
        _work.RunAll();
        Assert.All(keys, key => Assert.True(IsDisposed(key)));
    }

    [Fact]
    public void Dispose_DisposesEveryUnusedAndRetiredKey()
    {
        var pool = NewPool(capacity: 2);
        _work.RunAll();
        var used = pool.Take();
        pool.Retire(used);

        pool.Dispose();

        Assert.All(_made, key => Assert.True(IsDisposed(key)));
        Assert.Equal(0, pool.ReadyCount);
    }

    [Fact]
    public async Task RunAsync_BothSidesFromPools_AgreeAndEachUsedKeyIsRetiredOnce()
    {
        using var dialerKeys = NewPool(capacity: 2);
        using var binderKeys = NewPool(capacity: 2);
        _work.RunAll();

        for (var i = 0; i < 3; i++)
        {
            var (a, b) = DuplexPipeStream.CreatePair();
            Task<SealedStream> binder = E2eHandshake.RunAsync(b, isDialer: false, _binder, _ca, Service, ReadOnlyMemory<byte>.Empty, null, CancellationToken.None, binderKeys);
            await using SealedStream dialer = await E2eHandshake.RunAsync(a, isDialer: true, _dialer, _ca, Service, ReadOnlyMemory<byte>.Empty, null, CancellationToken.None, dialerKeys).WaitAsync(Timeout);
            await using SealedStream binderSide = await binder.WaitAsync(Timeout);
            await dialer.WriteAsync("ping"u8.ToArray());
            await dialer.FlushAsync();
            var read = new byte[4];
            await binderSide.ReadExactlyAsync(read).AsTask().WaitAsync(Timeout);
            Assert.Equal("ping"u8.ToArray(), read);
        }

        // Each handshake retired its own key and the two peer-key objects it made.
        Assert.Equal(3 * 3, dialerKeys.RetiredCount);
        _work.RunAll();
        Assert.Equal(0, dialerKeys.RetiredCount);
        Assert.Equal(0, binderKeys.RetiredCount);
        var used = _made.Where(IsDisposed).ToList();
        Assert.Equal(6, used.Count);
        Assert.Equal(6, used.Distinct().Count());
    }

    public void Dispose()
    {
        foreach (var key in _made)
        {
            key.Dispose();
        }

        _dialer.Dispose();
        _binder.Dispose();
        _ca.Dispose();
    }

    private EphemeralKeyPool NewPool(int capacity) => new(capacity, MakeKey, _work.Schedule);

    private ECDiffieHellman MakeKey()
    {
        var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        lock (_made)
        {
            _made.Add(key);
        }

        return key;
    }

    private static string PublicKeyHex(ECDiffieHellman key) => Convert.ToHexString(key.ExportSubjectPublicKeyInfo());

    private static bool IsDisposed(ECDiffieHellman key)
    {
        try
        {
            key.ExportSubjectPublicKeyInfo();
            return false;
        }
        catch (ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>Background work that runs only when the test says so.</summary>
    private sealed class ManualWork
    {
        private readonly Queue<Action> _pending = new();

        public void Schedule(Action work)
        {
            lock (_pending)
            {
                _pending.Enqueue(work);
            }
        }

        public void RunAll()
        {
            while (true)
            {
                Action work;
                lock (_pending)
                {
                    if (!_pending.TryDequeue(out work!))
                    {
                        return;
                    }
                }

                work();
            }
        }
    }
}
