using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Tests.Protocol;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Crypto;

public sealed class E2eHandshakeTests : IDisposable
{
    private const string Service = "chatapp";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly byte[] Secret = Encoding.UTF8.GetBytes("TOP-SECRET prompt: summarise the merger terms for Contoso");

    private readonly X509Certificate2 _ca = TestPki.CreateCa("overlay-ca");
    private readonly X509Certificate2 _otherCa = TestPki.CreateCa("rogue-ca");
    private readonly X509Certificate2 _dialer;
    private readonly X509Certificate2 _binder;

    public E2eHandshakeTests()
    {
        _dialer = TestPki.CreateIdentity(_ca, "dialer-identity");
        _binder = TestPki.CreateIdentity(_ca, "binder-identity");
    }

    [Fact]
    public async Task RunAsync_ThroughRouterForwardingMuxStreams_RoundTripsAndRouterNeverSeesPlaintext()
    {
        await using SessionPair dialerLeg = await SessionPair.OverTcpAsync();
        await using SessionPair binderLeg = await SessionPair.OverTcpAsync();
        var towardBinder = new MemoryStream();
        var towardDialer = new MemoryStream();

        // The router: accepts the dial on one session, opens toward the binder on the other, forwards bytes.
        Task router = Task.Run(async () =>
        {
            MuxStream fromDialer = await (await dialerLeg.Acceptor.AcceptAsync())!.AcceptAsync();
            MuxStream toBinder = await binderLeg.Initiator.OpenStreamAsync(Encoding.UTF8.GetBytes(Service));
            await Task.WhenAll(PumpAsync(fromDialer, toBinder, towardBinder), PumpAsync(toBinder, fromDialer, towardDialer));
        });
        Task<SealedStream> binderSide = Task.Run(async () =>
        {
            MuxStream stream = await (await binderLeg.Acceptor.AcceptAsync())!.AcceptAsync();
            return await E2eHandshake.RunAsync(stream, isDialer: false, _binder, _ca, Service, ReadOnlyMemory<byte>.Empty, RequireSubject("CN=dialer-identity"), CancellationToken.None);
        });
        MuxStream dialerStream = await dialerLeg.Initiator.OpenStreamAsync(Encoding.UTF8.GetBytes(Service));

        await using SealedStream dialer = await E2eHandshake.RunAsync(dialerStream, isDialer: true, _dialer, _ca, Service, ReadOnlyMemory<byte>.Empty, RequireSubject("CN=binder-identity"), CancellationToken.None).WaitAsync(Timeout);
        await using SealedStream binder = await binderSide.WaitAsync(Timeout);
        byte[] large = [.. Enumerable.Repeat(Secret, 2000).SelectMany(b => b)];
        Task write = Task.Run(async () =>
        {
            await dialer.WriteAsync(Secret);
            await dialer.WriteAsync(large);
            await dialer.CompleteWritesAsync();
        });
        byte[] atBinder = await MuxSessionTests.ReadToEndAsync(binder, large.Length + Secret.Length);
        await binder.WriteAsync(Secret);
        await binder.CompleteWritesAsync();
        byte[] atDialer = await MuxSessionTests.ReadToEndAsync(dialer, Secret.Length);
        await write.WaitAsync(Timeout);
        await router.WaitAsync(Timeout);

        Assert.Equal([.. Secret, .. large], atBinder);
        Assert.Equal(Secret, atDialer);
        Assert.Equal("CN=binder-identity", dialer.PeerCertificate.Subject);
        Assert.Equal("CN=dialer-identity", binder.PeerCertificate.Subject);
        Assert.True(towardBinder.Length > large.Length, "the router forwarded less than was sent");
        Assert.Equal(-1, towardBinder.ToArray().AsSpan().IndexOf(Secret.AsSpan(0, 16)));
        Assert.Equal(-1, towardDialer.ToArray().AsSpan().IndexOf(Secret.AsSpan(0, 16)));
    }

    [Fact]
    public async Task ReadAsync_OneCiphertextByteFlipped_ThrowsIOException()
    {
        var (dialer, binder) = await HandshakeOverTapAsync((index, bytes) =>
        {
            if (index == 2)
            {
                bytes[5] ^= 0x01;
            }

            return [bytes];
        });

        await dialer.WriteAsync(Secret);

        await Assert.ThrowsAsync<IOException>(() => binder.ReadAsync(new byte[256]).AsTask().WaitAsync(Timeout));
        await Assert.ThrowsAsync<IOException>(() => binder.ReadAsync(new byte[256]).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task ReadAsync_RecordReplayed_ThrowsIOException()
    {
        var (dialer, binder) = await HandshakeOverTapAsync((index, bytes) => index == 2 ? [bytes, bytes] : [bytes]);

        await dialer.WriteAsync(Secret);

        Assert.Equal(Secret.Length, await binder.ReadAsync(new byte[256]).AsTask().WaitAsync(Timeout));
        await Assert.ThrowsAsync<IOException>(() => binder.ReadAsync(new byte[256]).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task ReadAsync_RecordsReordered_ThrowsIOException()
    {
        byte[]? held = null;
        var (dialer, binder) = await HandshakeOverTapAsync((index, bytes) =>
        {
            if (index == 2)
            {
                held = bytes;
                return [];
            }

            return index == 3 ? [bytes, held!] : [bytes];
        });

        await dialer.WriteAsync("first"u8.ToArray());
        await dialer.WriteAsync("second"u8.ToArray());

        await Assert.ThrowsAsync<IOException>(() => binder.ReadAsync(new byte[256]).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task ReadAsync_CarrierEndsWithoutCloseRecord_ThrowsIOException()
    {
        var (a, b) = DuplexPipeStream.CreatePair();
        var (dialer, binder) = await HandshakeAsync(a, b);

        await dialer.WriteAsync(Secret);
        a.Dispose();

        Assert.Equal(Secret.Length, await binder.ReadAsync(new byte[256]).AsTask().WaitAsync(Timeout));
        var error = await Assert.ThrowsAsync<IOException>(() => binder.ReadAsync(new byte[256]).AsTask().WaitAsync(Timeout));
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public async Task CompleteWritesAsync_PeerReadsDataThenZeroAndCanStillWriteBack()
    {
        var (a, b) = DuplexPipeStream.CreatePair();
        var (dialer, binder) = await HandshakeAsync(a, b);

        await dialer.WriteAsync(Secret);
        await dialer.CompleteWritesAsync();
        byte[] request = await MuxSessionTests.ReadToEndAsync(binder, 1024);
        await binder.WriteAsync("answer"u8.ToArray());

        Assert.Equal(Secret, request);
        byte[] buffer = new byte[3];
        Assert.Equal(3, await dialer.ReadAsync(buffer).AsTask().WaitAsync(Timeout));
        Assert.Equal("ans", Encoding.UTF8.GetString(buffer));
    }

    [Fact]
    public async Task RunAsync_PeerCertificateFromAnotherCa_ThrowsAuthenticationException()
    {
        using X509Certificate2 rogue = TestPki.CreateIdentity(_otherCa, "rogue-dialer");
        var (a, b) = DuplexPipeStream.CreatePair();

        Task<SealedStream> dialer = E2eHandshake.RunAsync(a, isDialer: true, rogue, _ca, Service, ReadOnlyMemory<byte>.Empty, null, CancellationToken.None);
        var error = await Assert.ThrowsAsync<AuthenticationException>(() => E2eHandshake.RunAsync(b, isDialer: false, _binder, _ca, Service, ReadOnlyMemory<byte>.Empty, null, CancellationToken.None).WaitAsync(Timeout));

        Assert.Contains("does not chain", error.Message);
        b.Dispose();

        // The rogue side verified a genuine binder, but the binder hung up: it gets nothing, only an error.
        await using SealedStream rogueSide = await dialer.WaitAsync(Timeout);
        await Assert.ThrowsAsync<IOException>(() => rogueSide.ReadAsync(new byte[1]).AsTask().WaitAsync(Timeout));
    }

    [Fact]
    public async Task RunAsync_CheckPeerRefuses_ThrowsAuthenticationException()
    {
        var (a, b) = DuplexPipeStream.CreatePair();

        Task<SealedStream> binder = E2eHandshake.RunAsync(b, isDialer: false, _binder, _ca, Service, ReadOnlyMemory<byte>.Empty, null, CancellationToken.None);
        await Assert.ThrowsAsync<AuthenticationException>(() => E2eHandshake.RunAsync(a, isDialer: true, _dialer, _ca, Service, ReadOnlyMemory<byte>.Empty, (_, _) => throw new AuthenticationException("not this one"), CancellationToken.None).WaitAsync(Timeout));

        (await binder.WaitAsync(Timeout)).Dispose();
    }

    [Fact]
    public async Task RunAsync_SidesDisagreeOnService_FirstRecordFailsOrSignatureFails()
    {
        var (a, b) = DuplexPipeStream.CreatePair();

        Task<SealedStream> dialer = E2eHandshake.RunAsync(a, isDialer: true, _dialer, _ca, "chatapp", ReadOnlyMemory<byte>.Empty, null, CancellationToken.None);
        Task<SealedStream> binder = E2eHandshake.RunAsync(b, isDialer: false, _binder, _ca, "other-service", ReadOnlyMemory<byte>.Empty, null, CancellationToken.None);

        await Assert.ThrowsAsync<AuthenticationException>(() => dialer.WaitAsync(Timeout));
        await Assert.ThrowsAsync<AuthenticationException>(() => binder.WaitAsync(Timeout));
    }

    [Fact]
    public async Task RunAsync_BinderPresentsGrant_DialerCheckSeesExactlyThoseBytes()
    {
        var (a, b) = DuplexPipeStream.CreatePair();
        byte[] grant = "a grant the binder holds"u8.ToArray();
        byte[]? seen = null;

        Task<SealedStream> binder = E2eHandshake.RunAsync(b, isDialer: false, _binder, _ca, Service, grant, null, CancellationToken.None);
        await using SealedStream dialer = await E2eHandshake.RunAsync(a, isDialer: true, _dialer, _ca, Service, ReadOnlyMemory<byte>.Empty, (_, g) => seen = g.ToArray(), CancellationToken.None).WaitAsync(Timeout);
        (await binder.WaitAsync(Timeout)).Dispose();

        Assert.Equal(grant, seen);
    }

    [Fact]
    public async Task RunAsync_GrantReplacedInTransit_SignatureDoesNotVerify()
    {
        // A router swapping the binder's grant for another one of the same length: the binder's
        // signature covers the grant it sent, so the dialer refuses.
        var (a, b) = DuplexPipeStream.CreatePair();
        byte[] grant = "grant-number-one"u8.ToArray();
        var swapping = new TapStream(b, (_, bytes) =>
        {
            int at = bytes.AsSpan().IndexOf(grant);
            if (at >= 0)
            {
                "grant-number-two"u8.CopyTo(bytes.AsSpan(at));
            }

            return [bytes];
        });

        Task<SealedStream> binder = E2eHandshake.RunAsync(swapping, isDialer: false, _binder, _ca, Service, grant, null, CancellationToken.None);
        var error = await Assert.ThrowsAsync<AuthenticationException>(() => E2eHandshake.RunAsync(a, isDialer: true, _dialer, _ca, Service, ReadOnlyMemory<byte>.Empty, null, CancellationToken.None).WaitAsync(Timeout));

        Assert.Contains("does not verify", error.Message, StringComparison.Ordinal);
        a.Dispose();
        try
        {
            // The binder saw a genuine dialer; whether it finished before the dialer hung up does not matter.
            (await binder.WaitAsync(Timeout)).Dispose();
        }
        catch (IOException)
        {
        }
    }

    public void Dispose()
    {
        _dialer.Dispose();
        _binder.Dispose();
        _ca.Dispose();
        _otherCa.Dispose();
    }

    private static Action<X509Certificate2, ReadOnlyMemory<byte>> RequireSubject(string subject) => (peer, _) =>
    {
        if (peer.Subject != subject)
        {
            throw new AuthenticationException($"expected {subject}, got {peer.Subject}");
        }
    };

    private async Task<(SealedStream Dialer, SealedStream Binder)> HandshakeOverTapAsync(Func<int, byte[], IEnumerable<byte[]>> transform)
    {
        var (a, b) = DuplexPipeStream.CreatePair();
        return await HandshakeAsync(new TapStream(a, transform), b);
    }

    private async Task<(SealedStream Dialer, SealedStream Binder)> HandshakeAsync(Stream dialerInner, Stream binderInner)
    {
        Task<SealedStream> dialer = E2eHandshake.RunAsync(dialerInner, isDialer: true, _dialer, _ca, Service, ReadOnlyMemory<byte>.Empty, null, CancellationToken.None);
        Task<SealedStream> binder = E2eHandshake.RunAsync(binderInner, isDialer: false, _binder, _ca, Service, ReadOnlyMemory<byte>.Empty, null, CancellationToken.None);
        return (await dialer.WaitAsync(Timeout), await binder.WaitAsync(Timeout));
    }

    private static async Task PumpAsync(MuxStream from, MuxStream to, MemoryStream record)
    {
        byte[] buffer = new byte[8192];
        for (int i = 0; i < 100_000; i++)
        {
            int read = await from.ReadAsync(buffer);
            if (read == 0)
            {
                await to.CompleteWritesAsync();
                return;
            }

            lock (record)
            {
                record.Write(buffer, 0, read);
            }

            await to.WriteAsync(buffer.AsMemory(0, read));
        }
    }
}
