using System.Net.Http;

namespace SecureAoai.Overlay;

/// <summary>
/// Routes chosen host names to overlay services, for HttpClient: an intercept map
/// (<c>aoai-east.openai.azure.com</c> → service <c>aoai-east</c>) and suffixes (<c>chatapp.overlay</c> →
/// service <c>chatapp</c>). Other hosts are not handled. Use it as a SocketsHttpHandler
/// <c>ConnectCallback</c> or with <c>AddSecureOpenAI(...).UseConnector(...)</c>.
/// </summary>
/// <example>
/// <code>
/// var connector = new OverlayConnector(context) { Intercepts = { ["aoai-east.openai.azure.com"] = "aoai-east" }, Suffixes = { ".overlay" } };
/// services.AddSecureOpenAI(section).UseConnector(new SecureOpenAIConnector(connector.Handles, connector.ConnectAsync));
/// </code>
/// </example>
public sealed class OverlayConnector
{
    private readonly IOverlayTransport _transport;

    /// <summary>Creates a connector that dials as <paramref name="transport"/>'s identity.</summary>
    /// <param name="transport">The overlay to dial on: an <see cref="OverlayContext"/>, or another <see cref="IOverlayTransport"/>.</param>
    public OverlayConnector(IOverlayTransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
    }

    /// <summary>Host names (any port) and the service each one dials. The default value is empty.</summary>
    public Dictionary<string, string> Intercepts { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Host suffixes, with their leading dot, whose first labels name the service (<c>chatapp.overlay</c> → <c>chatapp</c>). The default value is empty.</summary>
    public List<string> Suffixes { get; } = [];

    /// <summary>The service <paramref name="host"/> maps to, or <see langword="null"/> when the connector does not handle it.</summary>
    /// <param name="host">A host name.</param>
    /// <returns>The service's name, or <see langword="null"/>.</returns>
    public string? ServiceFor(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (Intercepts.TryGetValue(host, out var service))
        {
            return service;
        }

        foreach (var suffix in Suffixes)
        {
            if (host.Length > suffix.Length && host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                return host[..^suffix.Length];
            }
        }

        return null;
    }

    /// <summary>Whether the connector handles <paramref name="host"/> (any <paramref name="port"/>).</summary>
    /// <param name="host">A host name.</param>
    /// <param name="port">The port (not used for the mapping).</param>
    /// <returns><see langword="true"/> when <see cref="ConnectAsync(string, int, CancellationToken)"/> dials a service for it.</returns>
    public bool Handles(string host, int port) => ServiceFor(host) is not null;

    /// <summary>Dials the service <paramref name="host"/> maps to.</summary>
    /// <param name="host">A host the connector handles.</param>
    /// <param name="port">The port (not used for the mapping).</param>
    /// <param name="cancellationToken">Cancels the dial.</param>
    /// <returns>The overlay stream; HttpClient speaks TLS or plain HTTP on top.</returns>
    /// <exception cref="InvalidOperationException">The connector does not handle <paramref name="host"/>.</exception>
    public async ValueTask<Stream> ConnectAsync(string host, int port, CancellationToken cancellationToken) =>
        await _transport.DialAsync(
            ServiceFor(host) ?? throw new InvalidOperationException($"The overlay connector does not handle '{host}'; add it to Intercepts or Suffixes."),
            cancellationToken).ConfigureAwait(false);

    /// <summary>A SocketsHttpHandler <c>ConnectCallback</c> for hosts this connector handles.</summary>
    /// <param name="context">The connection context.</param>
    /// <param name="cancellationToken">Cancels the dial.</param>
    /// <returns>The overlay stream.</returns>
    public ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, cancellationToken);
    }
}
