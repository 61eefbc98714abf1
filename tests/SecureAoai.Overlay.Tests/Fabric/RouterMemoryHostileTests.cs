using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary>An authenticated dialer that announces huge windows and stops reading cannot make the router buffer without bound.</summary>
public sealed class RouterMemoryHostileTests
{
    private const int AttackStreams = 64;
    private const int ChunkBytes = 16 * 1024;
    private const long MaxFiredPerStreamBytes = 64L * 1024 * 1024;

    /// <summary>More than the router may queue for one session, and less than the router's own stream windows let the binder send.</summary>
    private const long FiredBeforeCheckingBytes = 12L * 1024 * 1024;

    [Fact]
    public async Task Dial_PeerAnnouncesHugeWindowsAndStopsReading_RouterQueuesAtMostTheBoundAndServesOthers()
    {
        var (fabric, client, server) = await FabricFixture.StartEchoAsync();
        await using var fabricScope = fabric;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        fabric.Controller.Administration.CreateService("firehose", ["demo"]);
        var mallory = await fabric.EnrollAsync("mallory", "clients");
        _ = EchoServer.RunAsync(await server.BindAsync("echo", cancel.Token), cancel.Token);
        long fired = 0;
        var go = new TaskCompletionSource();
        _ = FirehoseAsync(await server.BindAsync("firehose", cancel.Token), go.Task, bytes => Interlocked.Add(ref fired, bytes), cancel.Token);

        // Mallory says it buffers a gibibyte per stream, dials a service that writes without end, then never reads again.
        var ownWindow = new MuxOptions { InitialStreamWindowBytes = FrameLimits.MaxStreamWindowBytes };
        await using var attacker = await RouterConnection.OpenAsync(fabric.Router.LocalEndPoint.Port, mallory, ownWindow, receiveBufferBytes: 4096, announcedWindowBytes: 1u << 30, cancellationToken: cancel.Token);
        var streams = await Task.WhenAll(Enumerable.Range(0, AttackStreams).Select(async _ =>
        {
            var stream = await attacker.Mux!.OpenStreamAsync(RouterConnection.DialRequest("firehose"), cancel.Token);
            return await E2eHandshake.RunAsync(stream, isDialer: true, mallory.Certificate, mallory.CaCertificate, "firehose", ReadOnlyMemory<byte>.Empty, checkPeer: null, cancel.Token);
        }));
        attacker.Transport.CloseReads();
        go.SetResult();
        while (Interlocked.Read(ref fired) < FiredBeforeCheckingBytes)
        {
            await Task.Delay(20, cancel.Token);
        }

        // Meanwhile an honest party is served.
        await using (var honest = await client.DialAsync("echo", cancel.Token))
        {
            Assert.Equal("still served"u8.ToArray(), await EchoServer.RoundTripAsync(honest, "still served"u8.ToArray(), cancel.Token));
        }

        var queued = Assert.Single(fabric.Router.SessionsOf("mallory")).Send.PeakUnflushedBytes;
        var bound = fabric.RouterOptions.Mux.MaxUnflushedSendBytes;
        Assert.True(queued <= bound + (64 * 1024), $"the router queued {queued} bytes for one peer that does not read; the bound is {bound}");
        Assert.Equal(AttackStreams, streams.Length);
    }

    /// <summary>Once <paramref name="go"/> completes, writes to every dial until it fails, counting what the stream took.</summary>
    private static Task FirehoseAsync(OverlayListener listener, Task go, Action<int> took, CancellationToken cancellationToken) =>
        EchoServer.ServeEachAsync(listener, connection => Task.Run(async () =>
        {
            var chunk = new byte[ChunkBytes];
            await using var _ = connection;
            try
            {
                await go.WaitAsync(cancellationToken);
                for (long sent = 0; sent < MaxFiredPerStreamBytes; sent += chunk.Length)
                {
                    await connection.WriteAsync(chunk, cancellationToken);
                    took(chunk.Length);
                }
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
            {
                // The dialer went away or the test ended.
            }
        }, CancellationToken.None), cancellationToken);
}
