using System.Buffers.Binary;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Router;
using SecureAoai.Overlay.Tests.Soak;

namespace SecureAoai.Overlay.Tests.Testing;

/// <summary>
/// An enrolled identity's connection to a router, made by hand so a test can misbehave where the SDK
/// never would: stop reading, announce other limits, send raw frames.
/// </summary>
internal sealed class RouterConnection : IAsyncDisposable
{
    private RouterConnection(GateStream transport, MuxSession? mux)
    {
        Transport = transport;
        Mux = mux;
        Run = mux?.RunAsync() ?? Task.CompletedTask;
    }

    /// <summary>The TLS stream to the router, behind a gate the test can close.</summary>
    public GateStream Transport { get; }

    /// <summary>The multiplexed session over <see cref="Transport"/>, unless the test speaks raw frames.</summary>
    public MuxSession? Mux { get; }

    public Task Run { get; }

    /// <summary>A running session to the router; <paramref name="announcedWindowBytes"/> rewrites the window its Hello announces (what a hostile peer would send).</summary>
    public static async Task<RouterConnection> OpenAsync(int port, OverlayIdentity identity, MuxOptions? options = null, int? receiveBufferBytes = null, uint? announcedWindowBytes = null, CancellationToken cancellationToken = default)
    {
        var gate = new GateStream(await RouterTls.ConnectAsync(port, identity, receiveBufferBytes, cancellationToken));
        if (announcedWindowBytes is { } window)
        {
            // The session's first write is its Hello alone: header, then four uint32 limits, the window third.
            var rewritten = 0;
            gate.RewriteWrite = buffer =>
            {
                if (Interlocked.Exchange(ref rewritten, 1) != 0)
                {
                    return buffer;
                }

                var hello = buffer.ToArray();
                BinaryPrimitives.WriteUInt32BigEndian(hello.AsSpan(FrameLimits.HeaderBytes + 8), window);
                return hello;
            };
        }

        return new RouterConnection(gate, new MuxSession(gate, options ?? new MuxOptions(), isInitiator: true));
    }

    /// <summary>A TLS connection to the router without a session: the test writes frames itself.</summary>
    public static async Task<RouterConnection> OpenRawAsync(int port, OverlayIdentity identity, CancellationToken cancellationToken = default) =>
        new(new GateStream(await RouterTls.ConnectAsync(port, identity, null, cancellationToken)), null);

    public static byte[] DialRequest(string service) => new RouterRequest { Op = RouterRequest.Dial, Service = service }.ToBytes();

    public static byte[] BindRequest(string service) => new RouterRequest { Op = RouterRequest.Bind, Service = service }.ToBytes();

    public async ValueTask DisposeAsync()
    {
        if (Mux is not null)
        {
            Transport.OpenReads();
            await Mux.DisposeAsync();
            await Run;
        }

        await Transport.DisposeAsync();
    }
}
