using System.Buffers.Binary;
using System.Security.Cryptography;

namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>Writes DNS queries: one question, recursion desired, optionally an EDNS0 OPT record.</summary>
internal static class DnsMessageWriter
{
    private const ushort RecursionDesiredFlag = 0x0100;
    private const int OptRecordBytes = 11;

    /// <summary>A fresh message id from a cryptographic random source, so an off-path spoofer has to guess it.</summary>
    public static ushort NewId()
    {
        Span<byte> bytes = stackalloc byte[2];
        RandomNumberGenerator.Fill(bytes);
        return BinaryPrimitives.ReadUInt16BigEndian(bytes);
    }

    /// <summary>Writes a query for <paramref name="question"/> with message id <paramref name="id"/>.</summary>
    /// <param name="id">The message id; see <see cref="NewId"/>.</param>
    /// <param name="question">The question; its name must be a valid host name (see <see cref="ValidateName"/>).</param>
    /// <param name="useEdns">Whether to add an OPT record advertising <see cref="DnsLimits.EdnsUdpPayloadBytes"/>.</param>
    /// <exception cref="ArgumentException">The name is empty, has an empty or over-long label, a byte outside printable ASCII, or is over 255 bytes.</exception>
    public static byte[] WriteQuery(ushort id, DnsQuestion question, bool useEdns)
    {
        var name = ValidateName(question.Name);
        var nameBytes = name.Length + 2; // a length byte per label, plus the root byte; the dots become length bytes
        var message = new byte[DnsLimits.HeaderBytes + nameBytes + 4 + (useEdns ? OptRecordBytes : 0)];
        var span = message.AsSpan();

        BinaryPrimitives.WriteUInt16BigEndian(span, id);
        BinaryPrimitives.WriteUInt16BigEndian(span[2..], RecursionDesiredFlag);
        BinaryPrimitives.WriteUInt16BigEndian(span[4..], 1);
        BinaryPrimitives.WriteUInt16BigEndian(span[10..], (ushort)(useEdns ? 1 : 0));

        var offset = DnsLimits.HeaderBytes;
        foreach (var label in name.Split('.'))
        {
            span[offset++] = (byte)label.Length;
            foreach (var c in label)
            {
                span[offset++] = (byte)c;
            }
        }

        span[offset++] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(span[offset..], (ushort)question.Type);
        BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 2)..], question.Class);
        offset += 4;

        if (useEdns)
        {
            // Root owner name, type OPT, "class" = our UDP payload size, TTL 0 (no extended RCODE, version 0, DO clear), no options.
            span[offset] = 0;
            BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 1)..], (ushort)DnsRecordType.Opt);
            BinaryPrimitives.WriteUInt16BigEndian(span[(offset + 3)..], DnsLimits.EdnsUdpPayloadBytes);
        }

        return message;
    }

    /// <summary>
    /// Checks that <paramref name="name"/> can be sent as a question and returns it without a trailing dot.
    /// Labels are 1 to 63 bytes of printable ASCII (internationalized names must already be in their xn-- form).
    /// </summary>
    /// <exception cref="ArgumentException">The name cannot be sent.</exception>
    public static string ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var trimmed = name.EndsWith('.') ? name[..^1] : name;
        if (trimmed.Length == 0 || trimmed.Length + 2 > DnsLimits.MaxNameWireBytes)
        {
            throw new ArgumentException($"'{name}' is not a host name DNS can look up: it must be 1 to 253 characters.", nameof(name));
        }

        var labelLength = 0;
        foreach (var c in trimmed)
        {
            if (c == '.')
            {
                if (labelLength == 0)
                {
                    throw new ArgumentException($"'{name}' is not a host name DNS can look up: it has an empty label.", nameof(name));
                }

                labelLength = 0;
                continue;
            }

            if (c <= ' ' || c > '~')
            {
                throw new ArgumentException(
                    $"'{name}' is not a host name DNS can look up: it has a character outside printable ASCII (use the xn-- form of an internationalized name).",
                    nameof(name));
            }

            if (++labelLength > DnsLimits.MaxLabelBytes)
            {
                throw new ArgumentException($"'{name}' is not a host name DNS can look up: a label is over {DnsLimits.MaxLabelBytes} characters.", nameof(name));
            }
        }

        if (labelLength == 0)
        {
            throw new ArgumentException($"'{name}' is not a host name DNS can look up: it has an empty label.", nameof(name));
        }

        return trimmed;
    }
}
