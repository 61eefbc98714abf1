namespace SecureAoai.Overlay.Tests.Fabric;

/// <summary>Serves a bound service by echoing every connection back, half-closing when the caller does.</summary>
internal static class EchoServer
{
    public static Task RunAsync(OverlayListener listener, CancellationToken cancellationToken, Action<OverlayStream>? onAccept = null) =>
        ServeEachAsync(listener, connection =>
        {
            onAccept?.Invoke(connection);
            return EchoAsync(connection, cancellationToken);
        }, cancellationToken);

    /// <summary>Accepts every dial of <paramref name="listener"/> and runs <paramref name="serve"/> on it, without waiting for it, until the listener is disposed or <paramref name="cancellationToken"/> fires.</summary>
    public static async Task ServeEachAsync(OverlayListener listener, Func<OverlayStream, Task> serve, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            OverlayStream? connection;
            try
            {
                connection = await listener.AcceptAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (connection is null)
            {
                // Unbound.
                return;
            }

            _ = serve(connection);
        }
    }

    private static async Task EchoAsync(OverlayStream connection, CancellationToken cancellationToken)
    {
        await using var _ = connection;
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await connection.ReadAsync(buffer, cancellationToken)) > 0)
            {
                await connection.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }

            await connection.CompleteWritesAsync();
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>Writes <paramref name="payload"/>, half-closes, and reads everything back.</summary>
    public static async Task<byte[]> RoundTripAsync(OverlayStream connection, byte[] payload, CancellationToken cancellationToken = default)
    {
        var reading = ReadToEndAsync(connection, cancellationToken);
        await connection.WriteAsync(payload, cancellationToken);
        await connection.CompleteWritesAsync();
        return await reading;
    }

    public static async Task<byte[]> ReadToEndAsync(Stream stream, CancellationToken cancellationToken = default)
    {
        using var received = new MemoryStream();
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            received.Write(buffer, 0, read);
        }

        return received.ToArray();
    }
}
