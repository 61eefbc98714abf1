using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Tests.Testing;

namespace SecureAoai.Overlay.Tests.Protocol;

/// <summary>A session hands its transport (a TLS stream) writes of at most one TLS record's plaintext, so no write becomes a full record and a sliver.</summary>
public sealed class TransportWriteTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task BulkData_EveryTransportWriteIsAtMostOneTlsRecord_AndFullWritesAreExactlyOne()
    {
        using var cancel = new CancellationTokenSource(Timeout);
        var (a, b) = DuplexPipeStream.CreatePair();
        var writes = new System.Collections.Concurrent.ConcurrentQueue<int>();
        var tap = new TapStream(a, (_, bytes) =>
        {
            writes.Enqueue(bytes.Length);
            return [bytes];
        });
        await using var initiator = new MuxSession(tap, new MuxOptions(), isInitiator: true);
        await using var acceptor = new MuxSession(b, new MuxOptions(), isInitiator: false);
        _ = initiator.RunAsync();
        _ = acceptor.RunAsync();
        var opening = initiator.OpenStreamAsync("x"u8.ToArray(), cancel.Token).AsTask();
        var server = await (await acceptor.AcceptAsync(cancel.Token))!.AcceptAsync();
        var client = await opening.WaitAsync(cancel.Token);

        var payload = new byte[1024 * 1024];
        Random.Shared.NextBytes(payload);
        var reading = Task.Run(async () =>
        {
            var received = new byte[payload.Length];
            await server.ReadExactlyAsync(received, cancel.Token);
            return received;
        });
        await client.WriteAsync(payload, cancel.Token);

        Assert.Equal(payload, await reading.WaitAsync(cancel.Token));
        Assert.All(writes, w => Assert.InRange(w, 1, MuxSession.TransportWriteBytes));
        Assert.Contains(MuxSession.TransportWriteBytes, writes);
    }
}
