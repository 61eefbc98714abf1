using SecureAoai.Client.Networking;
using SecureAoai.Overlay;

namespace SecureAoai.Client.Overlay.Internal;

/// <summary>
/// The intercepted hosts as a <see cref="SecureOpenAIConnector"/>: <c>host:port</c> entries first,
/// then <c>host</c> for any port. Asked once per endpoint when the client's endpoint table is built,
/// and once per new connection to dial.
/// </summary>
internal sealed class OverlayInterceptMap(IReadOnlyDictionary<string, string> intercepts)
{
    public string? ServiceFor(string host, int port) =>
        intercepts.TryGetValue($"{host}:{port}", out var service) || intercepts.TryGetValue(host, out service) ? service : null;

    /// <summary>The intercepts an endpoint list does not use, so a mistyped host fails the start instead of silently going by TCP.</summary>
    public IEnumerable<string> Unused(IEnumerable<Uri> endpoints)
    {
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var endpoint in endpoints)
        {
            used.Add($"{endpoint.IdnHost}:{endpoint.Port}");
            used.Add(endpoint.IdnHost);
        }

        return intercepts.Keys.Where(key => !used.Contains(key));
    }

    public SecureOpenAIConnector Connector(IOverlayTransport overlay) => new(
        (host, port) => ServiceFor(host, port) is not null,
        async (host, port, cancellationToken) => await overlay.DialAsync(
            ServiceFor(host, port) ?? throw new InvalidOperationException($"UseOverlay does not intercept {host}:{port}."),
            cancellationToken).ConfigureAwait(false));
}
