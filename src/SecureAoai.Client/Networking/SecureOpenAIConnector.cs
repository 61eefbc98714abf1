namespace SecureAoai.Client.Networking;

/// <summary>
/// Another way to reach some endpoints than a TCP connection to a resolved address, such as an
/// overlay network that dials a service by name. For the hosts it handles, no DNS lookup and no
/// network policy apply (the connector is the private path); TLS above it still checks the host name.
/// </summary>
/// <example>
/// <code>
/// services.AddSecureOpenAI(section).UseConnector(new SecureOpenAIConnector(overlay.Handles, overlay.ConnectAsync));
/// </code>
/// </example>
public sealed class SecureOpenAIConnector
{
    private readonly Func<string, int, bool> _handles;
    private readonly Func<string, int, CancellationToken, ValueTask<Stream>> _connect;

    /// <summary>Creates a connector from two functions.</summary>
    /// <param name="handles">Whether the connector reaches <c>host</c>:<c>port</c>.</param>
    /// <param name="connect">Opens a duplex stream to <c>host</c>:<c>port</c>; TLS is layered on top by the client.</param>
    public SecureOpenAIConnector(Func<string, int, bool> handles, Func<string, int, CancellationToken, ValueTask<Stream>> connect)
    {
        ArgumentNullException.ThrowIfNull(handles);
        ArgumentNullException.ThrowIfNull(connect);
        _handles = handles;
        _connect = connect;
    }

    /// <summary>Whether this connector reaches <paramref name="host"/>:<paramref name="port"/>.</summary>
    /// <param name="host">The endpoint's host name.</param>
    /// <param name="port">The endpoint's port.</param>
    /// <returns><see langword="true"/> when <see cref="ConnectAsync"/> should be used for it.</returns>
    public bool Handles(string host, int port) => _handles(host, port);

    /// <summary>Opens a duplex stream to <paramref name="host"/>:<paramref name="port"/>.</summary>
    /// <param name="host">The endpoint's host name.</param>
    /// <param name="port">The endpoint's port.</param>
    /// <param name="cancellationToken">Cancels the connect.</param>
    /// <returns>The stream, on which the client speaks TLS.</returns>
    public ValueTask<Stream> ConnectAsync(string host, int port, CancellationToken cancellationToken) => _connect(host, port, cancellationToken);
}
