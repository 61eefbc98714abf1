using System.Net;

namespace SecureAoai.Client.Networking.Internal;

/// <summary>Answers an address literal itself (no lookup); passes names to the inner resolver.</summary>
internal sealed class LiteralHostResolver(IHostResolver inner) : IHostResolver
{
    /// <summary>A literal never changes; a day is as good as forever and keeps expiry arithmetic in range.</summary>
    public static readonly TimeSpan LiteralTimeToLive = TimeSpan.FromDays(1);

    public ValueTask<HostResolution> ResolveAsync(string host, CancellationToken cancellationToken) =>
        IPAddress.TryParse(host, out var literal)
            ? ValueTask.FromResult(new HostResolution(host, [host], [literal], LiteralTimeToLive, "an address literal"))
            : inner.ResolveAsync(host, cancellationToken);
}
