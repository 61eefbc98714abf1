namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>One question: a name, a record type, and class IN (the only class we ask or accept).</summary>
/// <param name="Name">The name without a trailing dot.</param>
/// <param name="Type">The record type asked for.</param>
/// <param name="Class">The class; 1 (IN) for every query we send.</param>
internal readonly record struct DnsQuestion(string Name, DnsRecordType Type, ushort Class = DnsQuestion.ClassInternet)
{
    /// <summary>Class IN.</summary>
    public const ushort ClassInternet = 1;

    /// <summary>Whether <paramref name="other"/> asks the same thing; names compare ASCII case-insensitively (RFC 4343).</summary>
    public bool Matches(DnsQuestion other) =>
        Type == other.Type && Class == other.Class && string.Equals(Name, other.Name, StringComparison.OrdinalIgnoreCase);
}
