using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Overlay.Tests.Soak;

/// <summary>
/// Authenticated parties that send a router mutated frames. Each connection authenticates as an
/// enrolled identity, sends a valid Hello, then a number of frames (Opens that dial a real service
/// among them) with one to three byte-level mutations, then bytes that can only be a bad header, and
/// reads until the router disconnects it. Few frames per connection weigh on the TLS handshakes; many
/// weigh on frame handling.
/// </summary>
internal static class MutatedFrameAttack
{
    /// <summary>How long one connection waits for the router to disconnect it before counting it as left open.</summary>
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(30);

    /// <param name="port">The router's port on 127.0.0.1.</param>
    /// <param name="identity">Who the attacker authenticates as; give it a Dial right on <paramref name="service"/> to reach binders.</param>
    /// <param name="service">The service the Opens dial.</param>
    /// <param name="frames">How many mutated frames to send in all (rounded up to whole connections).</param>
    /// <param name="framesPerConnection">Frames in one connection's mutated sequence.</param>
    /// <param name="concurrency">Connections at once.</param>
    /// <param name="seed">Makes the frames repeatable.</param>
    /// <param name="routerMaxFramePayloadBytes">The router's MaxFramePayloadBytes: the trailer must outlast any frame it could still be waiting for.</param>
    /// <param name="cancellationToken">Stops the attack.</param>
    public static async Task<Report> RunAsync(int port, OverlayIdentity identity, string service, long frames, int framesPerConnection, int concurrency, int seed, int routerMaxFramePayloadBytes, CancellationToken cancellationToken)
    {
        var dial = new RouterRequest { Op = RouterRequest.Dial, Service = service }.ToBytes();
        var trailer = new byte[routerMaxFramePayloadBytes + (2 * FrameLimits.HeaderBytes)];
        Array.Fill(trailer, (byte)0xEE);
        long remaining = frames;
        long sent = 0;
        int connections = 0;
        int closed = 0;
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(async worker =>
        {
            var random = new Random(seed + worker);
            while (!cancellationToken.IsCancellationRequested && Interlocked.Add(ref remaining, -framesPerConnection) > -framesPerConnection)
            {
                var (written, wasClosed) = await OneConnectionAsync(port, identity, random, framesPerConnection, dial, trailer, cancellationToken);
                Interlocked.Add(ref sent, written);
                Interlocked.Increment(ref connections);
                if (wasClosed)
                {
                    Interlocked.Increment(ref closed);
                }
            }
        }));
        return new Report(sent, connections, closed);
    }

    private static async Task<(int Written, bool Closed)> OneConnectionAsync(int port, OverlayIdentity identity, Random random, int count, byte[] dial, byte[] trailer, CancellationToken cancellationToken)
    {
        var frames = FrameMutator.Mutate(FrameMutator.RandomFrames(random, count, dial), random, random.Next(1, 4));
        await using var ssl = await RouterTls.ConnectAsync(port, identity, cancellationToken: cancellationToken);
        var hello = new byte[FrameLimits.HeaderBytes + FrameLimits.HelloPayloadBytes];
        FrameWriter.WriteHello(new FixedWriter(hello), HelloLimits.From(new MuxOptions()));
        var written = 0;
        try
        {
            await ssl.WriteAsync(hello, cancellationToken);
            await ssl.WriteAsync(frames, cancellationToken);
            written = count;
            await ssl.WriteAsync(trailer, cancellationToken);
        }
        catch (IOException)
        {
            // The router disconnected at a bad frame while the rest was still being written.
        }

        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(CloseWait);
        return (written, await RouterTls.ClosedByPeerAsync(ssl, wait.Token));
    }

    /// <summary>What the attack did: mutated frames written on live connections, connections made, and how many of those the router disconnected.</summary>
    public sealed record Report(long Frames, int Connections, int ClosedByRouter);

    /// <summary>Writes into one fixed array.</summary>
    private sealed class FixedWriter(byte[] target) : System.Buffers.IBufferWriter<byte>
    {
        private int _written;

        public void Advance(int count) => _written += count;

        public Memory<byte> GetMemory(int sizeHint = 0) => target.AsMemory(_written);

        public Span<byte> GetSpan(int sizeHint = 0) => target.AsSpan(_written);
    }
}
