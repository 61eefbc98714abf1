using System.Net;

namespace SecureAoai.Client.Networking.Internal;

/// <summary>What <see cref="NetworkPolicyEvaluator"/> decided about one resolution.</summary>
/// <param name="Resolution">The answer judged.</param>
/// <param name="Policy">The policy applied.</param>
/// <param name="Classes">Every address of the answer with its class, in the answer's order.</param>
/// <param name="Allowed">The addresses that may be connected to, in the order to try them; empty when refused.</param>
/// <param name="PublicFallback"><see langword="true"/> when <see cref="NetworkPolicy.PreferPrivate"/> found no private address and allowed public ones.</param>
internal sealed record PolicyVerdict(
    HostResolution Resolution,
    NetworkPolicy Policy,
    IReadOnlyList<KeyValuePair<IPAddress, AddressClass>> Classes,
    IReadOnlyList<IPAddress> Allowed,
    bool PublicFallback)
{
    public bool IsAllowed => Allowed.Count > 0;

    /// <summary>The chain as one line: <c>x.openai.azure.com → x.privatelink.openai.azure.com → 10.1.2.3 (private)</c>.</summary>
    public string ChainText =>
        string.Join(" → ", Resolution.Chain) + " → "
        + string.Join(", ", Classes.Select(c => $"{c.Key} ({c.Value.ToString().ToLowerInvariant()})"));
}
