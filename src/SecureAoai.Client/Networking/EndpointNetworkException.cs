using System.Net;

namespace SecureAoai.Client.Networking;

/// <summary>
/// The endpoint was not connected to: its name did not resolve, or it resolved to addresses the
/// <see cref="NetworkPolicy"/> refuses. Nothing was sent. The message names the host, the CNAME
/// chain, each address with its class, and the likely cause.
/// </summary>
public sealed class EndpointNetworkException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">The explanation, with the chain and the fix.</param>
    /// <param name="host">The host name that was resolved.</param>
    /// <param name="reason">Why the endpoint was refused.</param>
    /// <param name="chain">The names from the host through every CNAME; empty when resolution failed.</param>
    /// <param name="addresses">The addresses found, each with its class; empty when resolution failed.</param>
    /// <param name="innerException">The resolver's error, if any.</param>
    public EndpointNetworkException(
        string message,
        string host,
        EndpointNetworkFailure reason,
        IReadOnlyList<string> chain,
        IReadOnlyList<KeyValuePair<IPAddress, AddressClass>> addresses,
        Exception? innerException = null)
        : base(message, innerException)
    {
        Host = host;
        Reason = reason;
        Chain = chain;
        Addresses = addresses;
    }

    /// <summary>The host name that was resolved.</summary>
    public string Host { get; }

    /// <summary>Why the endpoint was refused.</summary>
    public EndpointNetworkFailure Reason { get; }

    /// <summary>The names from <see cref="Host"/> through every CNAME to the one holding the addresses.</summary>
    public IReadOnlyList<string> Chain { get; }

    /// <summary>The addresses the name resolved to, each with its class.</summary>
    public IReadOnlyList<KeyValuePair<IPAddress, AddressClass>> Addresses { get; }
}
