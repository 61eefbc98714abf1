namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>A parsed DNS response: the header fields we act on, the question echo and the answer records we use.</summary>
/// <param name="Id">The 16-bit message id.</param>
/// <param name="IsResponse">The QR bit.</param>
/// <param name="Opcode">The 4-bit opcode; 0 for a standard query.</param>
/// <param name="IsTruncated">The TC bit: the answer did not fit and must be asked again over TCP.</param>
/// <param name="ResponseCode">The RCODE.</param>
/// <param name="Question">The question echoed back, or null when the message carries none.</param>
/// <param name="Answers">The A, AAAA and CNAME records of the answer section, in message order; other types are left out.</param>
internal sealed record DnsMessage(
    ushort Id,
    bool IsResponse,
    byte Opcode,
    bool IsTruncated,
    DnsResponseCode ResponseCode,
    DnsQuestion? Question,
    IReadOnlyList<DnsRecord> Answers)
{
    /// <summary>
    /// Whether this message answers the query with <paramref name="id"/> and <paramref name="question"/>:
    /// a response to a standard query with the same id and the same question (name case-insensitive, type and class).
    /// A message without a question echo never matches, so a 16-bit id alone is not enough to be believed.
    /// </summary>
    public bool Matches(ushort id, DnsQuestion question) =>
        IsResponse && Opcode == 0 && Id == id && Question is { } echoed && echoed.Matches(question);
}
