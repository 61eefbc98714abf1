using System.Net;

namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>One answer record of a type we use: A or AAAA (with <see cref="Address"/>) or CNAME (with <see cref="Target"/>).</summary>
/// <param name="Name">The owner name, without a trailing dot.</param>
/// <param name="Type">A, AAAA or CNAME.</param>
/// <param name="TimeToLiveSeconds">The TTL; a value with the top bit set is read as 0 (RFC 2181 section 8).</param>
/// <param name="Address">The address of an A or AAAA record; otherwise null.</param>
/// <param name="Target">The alias target of a CNAME record; otherwise null.</param>
internal sealed record DnsRecord(string Name, DnsRecordType Type, uint TimeToLiveSeconds, IPAddress? Address, string? Target);
