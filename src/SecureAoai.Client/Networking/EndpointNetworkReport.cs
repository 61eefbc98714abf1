using System.Net;

namespace SecureAoai.Client.Networking;

/// <summary>What <see cref="EndpointNetworkDiagnostics.CheckAsync"/> found for an endpoint.</summary>
public sealed class EndpointNetworkReport
{
    internal EndpointNetworkReport(
        string host,
        NetworkPolicy policy,
        string? source,
        IReadOnlyList<string> chain,
        IReadOnlyList<KeyValuePair<IPAddress, AddressClass>> addresses,
        IReadOnlyList<IPAddress> allowed,
        bool publicFallback,
        EndpointNetworkFailure? failure,
        string explanation)
    {
        Host = host;
        Policy = policy;
        Source = source;
        Chain = chain;
        Addresses = addresses;
        AllowedAddresses = allowed;
        PublicFallback = publicFallback;
        Failure = failure;
        Explanation = explanation;
    }

    /// <summary>The endpoint's host name.</summary>
    public string Host { get; }

    /// <summary>The policy applied.</summary>
    public NetworkPolicy Policy { get; }

    /// <summary>Who answered: the system resolver, a DNS server, or a host override; <see langword="null"/> when nothing did.</summary>
    public string? Source { get; }

    /// <summary>The names from <see cref="Host"/> through every CNAME.</summary>
    public IReadOnlyList<string> Chain { get; }

    /// <summary>Every address found, with its class.</summary>
    public IReadOnlyList<KeyValuePair<IPAddress, AddressClass>> Addresses { get; }

    /// <summary>The addresses the SDK would connect to, in order; empty when refused.</summary>
    public IReadOnlyList<IPAddress> AllowedAddresses { get; }

    /// <summary><see langword="true"/> when <see cref="NetworkPolicy.PreferPrivate"/> fell back to public addresses.</summary>
    public bool PublicFallback { get; }

    /// <summary>Why the endpoint would be refused; <see langword="null"/> when it is allowed.</summary>
    public EndpointNetworkFailure? Failure { get; }

    /// <summary><see langword="true"/> when the SDK would connect.</summary>
    public bool IsAllowed => Failure is null;

    /// <summary>The verdict in words: the chain, and for a refusal the likely cause and the fix.</summary>
    public string Explanation { get; }
}
