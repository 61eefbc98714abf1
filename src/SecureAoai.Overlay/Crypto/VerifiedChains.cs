using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SecureAoai.Overlay.Crypto;

/// <summary>
/// Peer certificates that recently chained to an overlay CA, so a dial between the same two
/// identities does not build the same chain again. Entries last <see cref="Lifetime"/> (never past
/// the certificate's expiry); the cache holds at most <see cref="MaxEntries"/> and starts over when full.
/// The signature over each handshake is still verified every time.
/// </summary>
internal static class VerifiedChains
{
    /// <summary>How long a verified chain is trusted without building it again.</summary>
    internal static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    /// <summary>The most entries kept.</summary>
    internal const int MaxEntries = 4096;

    private static readonly ConcurrentDictionary<string, DateTimeOffset> Entries = new(StringComparer.Ordinal);

    public static bool Contains(X509Certificate2 peer, X509Certificate2 ca) =>
        Entries.TryGetValue(Key(peer, ca), out var until) && DateTimeOffset.UtcNow < until;

    public static void Add(X509Certificate2 peer, X509Certificate2 ca)
    {
        if (Entries.Count >= MaxEntries)
        {
            Entries.Clear();
        }

        var until = DateTimeOffset.UtcNow + Lifetime;
        var expires = new DateTimeOffset(peer.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        Entries[Key(peer, ca)] = until < expires ? until : expires;
    }

    // Both certificates by their full DER hash: a different certificate never matches.
    private static string Key(X509Certificate2 peer, X509Certificate2 ca) =>
        Convert.ToHexString(SHA256.HashData(peer.RawDataMemory.Span)) + ":" + Convert.ToHexString(SHA256.HashData(ca.RawDataMemory.Span));
}
