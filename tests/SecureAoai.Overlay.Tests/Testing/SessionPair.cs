using SecureAoai.Overlay.Protocol;

namespace SecureAoai.Overlay.Tests.Testing;

/// <summary>Two running sessions joined by a transport: the initiator dials, the acceptor answers.</summary>
internal sealed class SessionPair : IAsyncDisposable
{
    private SessionPair(MuxSession initiator, MuxSession acceptor)
    {
        Initiator = initiator;
        Acceptor = acceptor;
        InitiatorRun = initiator.RunAsync();
        AcceptorRun = acceptor.RunAsync();
    }

    public MuxSession Initiator { get; }

    public MuxSession Acceptor { get; }

    public Task InitiatorRun { get; }

    public Task AcceptorRun { get; }

    public static async Task<SessionPair> OverTcpAsync(MuxOptions? options = null, MuxOptions? acceptorOptions = null)
    {
        var (client, server) = await Loopback.ConnectAsync();
        return new SessionPair(new MuxSession(client, options ?? new MuxOptions(), isInitiator: true), new MuxSession(server, acceptorOptions ?? options ?? new MuxOptions(), isInitiator: false));
    }

    public static SessionPair OverPipes(MuxOptions? options = null)
    {
        var (a, b) = DuplexPipeStream.CreatePair();
        return new SessionPair(new MuxSession(a, options ?? new MuxOptions(), isInitiator: true), new MuxSession(b, options ?? new MuxOptions(), isInitiator: false));
    }

    /// <summary>Accepts every incoming stream on <paramref name="session"/> and echoes it until the peer half-closes, then half-closes back.</summary>
    public static async Task EchoAsync(MuxSession session)
    {
        var echoes = new List<Task>();
        while (await session.AcceptAsync() is { } incoming)
        {
            MuxStream stream = await incoming.AcceptAsync();
            echoes.Add(EchoOneAsync(stream));
        }

        await Task.WhenAll(echoes);
    }

    public async ValueTask DisposeAsync()
    {
        await Initiator.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await Acceptor.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));
        await Task.WhenAll(InitiatorRun, AcceptorRun).WaitAsync(TimeSpan.FromSeconds(10));
    }

    private static async Task EchoOneAsync(MuxStream stream)
    {
        try
        {
            byte[] buffer = new byte[8192];
            for (int i = 0; i < 100_000; i++)
            {
                int read = await stream.ReadAsync(buffer);
                if (read == 0)
                {
                    break;
                }

                await stream.WriteAsync(buffer.AsMemory(0, read));
            }

            await stream.CompleteWritesAsync();
        }
        catch (IOException)
        {
            // The session ended under the echo; the test that cares sees it on its own side.
        }
        finally
        {
            await stream.DisposeAsync();
        }
    }
}
