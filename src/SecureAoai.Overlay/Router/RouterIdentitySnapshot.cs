using System.Collections.Concurrent;

namespace SecureAoai.Overlay.Router;

/// <summary>
/// The identities an enrolled router may serve, as its controller last listed them (every enrolled,
/// unrevoked identity that router policies admit to this router), plus those it learned of one by one
/// since (an identity that enrolled after the list was read). Read by thumbprint when a party connects,
/// and by name when the router checks its sessions.
/// </summary>
internal sealed class RouterIdentitySnapshot
{
    /// <summary>
    /// The most refusals remembered between two full lists; then they start over. (Identities learned one
    /// by one need no such bound: each is a certificate the CA issued and the controller admits.)
    /// </summary>
    public const int MaxRefusals = 4096;

    private readonly Dictionary<string, RouterCaller> _byThumbprint;
    private readonly HashSet<string> _names;
    private readonly ConcurrentDictionary<string, RouterCaller> _learned = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _refused = new(StringComparer.Ordinal);

    public RouterIdentitySnapshot(string version, IEnumerable<RouterCaller> identities)
    {
        Version = version;
        _byThumbprint = new(StringComparer.Ordinal);
        foreach (var identity in identities)
        {
            _byThumbprint.TryAdd(identity.Thumbprint, identity);
        }

        _names = [.. _byThumbprint.Values.Select(i => i.Name)];
    }

    /// <summary>The controller's state version this list was read at.</summary>
    public string Version { get; }

    /// <summary>Every name this snapshot admits, listed or learned.</summary>
    public IEnumerable<string> Names => _names.Concat(_learned.Values.Select(i => i.Name));

    public int Count => _byThumbprint.Count + _learned.Count;

    /// <summary>The identity with this certificate, if admitted.</summary>
    public RouterCaller? Find(string thumbprint) =>
        _byThumbprint.GetValueOrDefault(thumbprint) ?? _learned.GetValueOrDefault(thumbprint);

    /// <summary>Whether the controller said, at this version, that no identity it admits has this certificate.</summary>
    public bool IsRefused(string thumbprint) => _refused.ContainsKey(thumbprint);

    public bool Admits(string name) => _names.Contains(name) || _learned.Values.Any(i => i.Name == name);

    /// <summary>Remembers the controller's answer about one certificate, at this version.</summary>
    public void Learn(string thumbprint, RouterCaller? identity)
    {
        if (identity is null)
        {
            if (_refused.Count >= MaxRefusals)
            {
                _refused.Clear();
            }

            _refused.TryAdd(thumbprint, 0);
        }
        else
        {
            _learned[thumbprint] = identity;
        }
    }
}
