namespace SecureAoai.Client.Networking;

/// <summary>
/// How the endpoint's name is resolved and which addresses it may be reached at; the
/// <c>SecureOpenAI:Network</c> section.
/// </summary>
/// <example>
/// <code>
/// "Network": {
///   "Policy": "RequirePrivate",
///   "DnsServers": [ "10.0.0.4", "168.63.129.16" ],
///   "HostOverrides": { "partner.openai.azure.com": "10.20.0.5" }
/// }
/// </code>
/// </example>
public sealed class SecureOpenAINetworkOptions
{
    /// <summary>
    /// Which addresses the endpoint may resolve to. The default value is
    /// <see cref="NetworkPolicy.RequirePrivate"/>; a loopback endpoint (the emulator) passes it.
    /// </summary>
    public NetworkPolicy Policy { get; set; } = NetworkPolicy.RequirePrivate;

    /// <summary>
    /// DNS servers to ask instead of the system resolver, as <c>IP</c> or <c>IP:port</c>
    /// (<c>[IPv6]:port</c>), such as an Azure Private DNS Resolver inbound endpoint or
    /// 168.63.129.16. Asked in order. The default value is empty: the system resolver.
    /// </summary>
    public List<string> DnsServers { get; set; } = [];

    /// <summary>
    /// Fixed answers, hosts-file style: host name to one or more comma-separated addresses. For a
    /// Private Link endpoint of a service in another tenant, whose zone you cannot link. Overrides
    /// are checked against <see cref="Policy"/> like any answer. The default value is empty.
    /// </summary>
    public Dictionary<string, string> HostOverrides { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>How long to wait for one DNS server's answer before the next try. The default value is 2 seconds.</summary>
    public TimeSpan DnsTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a TCP connection to one address may take before the next address is tried. The default value is 10 seconds.</summary>
    public TimeSpan ConnectTimeout { get; set; } = TimeSpan.FromSeconds(10);
}
