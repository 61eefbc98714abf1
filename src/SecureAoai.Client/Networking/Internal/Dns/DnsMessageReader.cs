using System.Buffers.Binary;
using System.Net;

namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>
/// Parses DNS responses from untrusted bytes. Every read is bounds-checked and every loop bounded by a
/// <see cref="DnsLimits"/> constant; malformed input raises <see cref="DnsFormatException"/> and nothing else.
/// Only the header, the question and the answer section are read; authority and additional records are not needed.
/// </summary>
internal static class DnsMessageReader
{
    private const ushort ResponseFlag = 0x8000;
    private const ushort TruncatedFlag = 0x0200;
    private const int Ipv4Bytes = 4;
    private const int Ipv6Bytes = 16;

    /// <summary>Parses <paramref name="message"/>.</summary>
    /// <exception cref="DnsFormatException">The message is malformed or over a limit.</exception>
    public static DnsMessage Read(ReadOnlySpan<byte> message)
    {
        if (message.Length < DnsLimits.HeaderBytes)
        {
            throw new DnsFormatException($"The DNS message is {message.Length} bytes, shorter than its {DnsLimits.HeaderBytes}-byte header.");
        }

        var id = BinaryPrimitives.ReadUInt16BigEndian(message);
        var flags = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        var questionCount = BinaryPrimitives.ReadUInt16BigEndian(message[4..]);
        var answerCount = BinaryPrimitives.ReadUInt16BigEndian(message[6..]);
        var authorityCount = BinaryPrimitives.ReadUInt16BigEndian(message[8..]);
        var additionalCount = BinaryPrimitives.ReadUInt16BigEndian(message[10..]);

        if (questionCount > 1)
        {
            throw new DnsFormatException($"The DNS message has {questionCount} questions; a response to our query has at most 1.");
        }

        if (answerCount > DnsLimits.MaxRecordsPerSection || authorityCount > DnsLimits.MaxRecordsPerSection
            || additionalCount > DnsLimits.MaxRecordsPerSection)
        {
            throw new DnsFormatException(
                $"The DNS message claims {answerCount}/{authorityCount}/{additionalCount} answer/authority/additional records; the limit is {DnsLimits.MaxRecordsPerSection} per section.");
        }

        var offset = DnsLimits.HeaderBytes;
        DnsQuestion? question = null;
        if (questionCount == 1)
        {
            var name = ReadName(message, ref offset);
            var type = ReadUInt16(message, ref offset);
            var @class = ReadUInt16(message, ref offset);
            question = new DnsQuestion(name, (DnsRecordType)type, @class);
        }

        var answers = new List<DnsRecord>(answerCount);
        for (var i = 0; i < answerCount; i++)
        {
            if (ReadRecord(message, ref offset) is { } record)
            {
                answers.Add(record);
            }
        }

        return new DnsMessage(
            id,
            (flags & ResponseFlag) != 0,
            (byte)((flags >> 11) & 0xF),
            (flags & TruncatedFlag) != 0,
            (DnsResponseCode)(flags & 0xF),
            question,
            answers);
    }

    private static DnsRecord? ReadRecord(ReadOnlySpan<byte> message, ref int offset)
    {
        var name = ReadName(message, ref offset);
        var type = (DnsRecordType)ReadUInt16(message, ref offset);
        var @class = ReadUInt16(message, ref offset);
        var ttl = ReadUInt32(message, ref offset);
        var dataLength = ReadUInt16(message, ref offset);
        if (dataLength > message.Length - offset)
        {
            throw new DnsFormatException($"A record of '{name}' claims {dataLength} data bytes; only {message.Length - offset} remain in the message.");
        }

        var dataStart = offset;
        offset += dataLength;

        // RFC 2181 section 8: a TTL with the top bit set is treated as zero.
        if (ttl > int.MaxValue)
        {
            ttl = 0;
        }

        if (@class != DnsQuestion.ClassInternet)
        {
            return null;
        }

        switch (type)
        {
            case DnsRecordType.A:
                RequireLength(name, type, dataLength, Ipv4Bytes);
                return new DnsRecord(name, type, ttl, new IPAddress(message.Slice(dataStart, Ipv4Bytes)), null);
            case DnsRecordType.Aaaa:
                RequireLength(name, type, dataLength, Ipv6Bytes);
                return new DnsRecord(name, type, ttl, new IPAddress(message.Slice(dataStart, Ipv6Bytes)), null);
            case DnsRecordType.CName:
                var targetOffset = dataStart;
                var target = ReadName(message, ref targetOffset);
                if (targetOffset != offset)
                {
                    throw new DnsFormatException($"The CNAME record of '{name}' has {dataLength} data bytes but its target name takes {targetOffset - dataStart}.");
                }

                return new DnsRecord(name, type, ttl, null, target);
            default:
                return null;
        }
    }

    private static void RequireLength(string name, DnsRecordType type, int actual, int expected)
    {
        if (actual != expected)
        {
            throw new DnsFormatException($"The {type} record of '{name}' has {actual} data bytes; it must have {expected}.");
        }
    }

    /// <summary>
    /// Reads a possibly compressed name starting at <paramref name="offset"/> and moves <paramref name="offset"/> past it.
    /// A compression pointer must point before the start of the part of the name being read, so every jump goes
    /// strictly backwards and no pointer chain can loop; at most <see cref="DnsLimits.MaxCompressionPointerJumps"/> are followed.
    /// Labels must be printable ASCII without dots, so a name read here compares the same way as the text it becomes.
    /// </summary>
    /// <returns>The name without a trailing dot; the empty string for the root.</returns>
    /// <exception cref="DnsFormatException">The name is malformed or over a limit.</exception>
    public static string ReadName(ReadOnlySpan<byte> message, ref int offset)
    {
        Span<char> text = stackalloc char[DnsLimits.MaxNameWireBytes];
        var textLength = 0;
        var wireLength = 0;
        var jumps = 0;
        var position = offset;
        var segmentStart = offset;
        var resumeAt = -1;

        while (true)
        {
            if ((uint)position >= (uint)message.Length)
            {
                throw new DnsFormatException($"A name runs past the end of the {message.Length}-byte message.");
            }

            var lengthByte = message[position];
            switch (lengthByte & 0xC0)
            {
                case 0x00 when lengthByte == 0:
                    offset = resumeAt >= 0 ? resumeAt : position + 1;
                    return new string(text[..textLength]);

                case 0x00:
                    if (lengthByte > message.Length - position - 1)
                    {
                        throw new DnsFormatException($"A {lengthByte}-byte label at offset {position} runs past the end of the {message.Length}-byte message.");
                    }

                    wireLength += 1 + lengthByte;
                    if (wireLength + 1 > DnsLimits.MaxNameWireBytes)
                    {
                        throw new DnsFormatException($"A name is longer than {DnsLimits.MaxNameWireBytes} bytes.");
                    }

                    if (textLength > 0)
                    {
                        text[textLength++] = '.';
                    }

                    foreach (var b in message.Slice(position + 1, lengthByte))
                    {
                        if (b <= (byte)' ' || b > (byte)'~' || b == (byte)'.')
                        {
                            throw new DnsFormatException($"A label at offset {position} has byte 0x{b:X2}; names we accept are printable ASCII without dots inside labels.");
                        }

                        text[textLength++] = (char)b;
                    }

                    position += 1 + lengthByte;
                    break;

                case 0xC0:
                    if (position + 1 >= message.Length)
                    {
                        throw new DnsFormatException($"A compression pointer at offset {position} is cut off by the end of the message.");
                    }

                    var target = ((lengthByte & 0x3F) << 8) | message[position + 1];
                    if (target >= segmentStart)
                    {
                        throw new DnsFormatException($"A compression pointer at offset {position} points to {target}, not before {segmentStart}; pointers must point backwards.");
                    }

                    if (++jumps > DnsLimits.MaxCompressionPointerJumps)
                    {
                        throw new DnsFormatException($"A name follows more than {DnsLimits.MaxCompressionPointerJumps} compression pointers.");
                    }

                    if (resumeAt < 0)
                    {
                        resumeAt = position + 2;
                    }

                    position = target;
                    segmentStart = target;
                    break;

                default:
                    throw new DnsFormatException($"A label at offset {position} starts with 0x{lengthByte:X2}: a label over {DnsLimits.MaxLabelBytes} bytes or a reserved label type.");
            }
        }
    }

    private static ushort ReadUInt16(ReadOnlySpan<byte> message, ref int offset)
    {
        if (offset > message.Length - 2)
        {
            throw new DnsFormatException($"The DNS message ends at {message.Length} bytes, inside a field at offset {offset}.");
        }

        var value = BinaryPrimitives.ReadUInt16BigEndian(message[offset..]);
        offset += 2;
        return value;
    }

    private static uint ReadUInt32(ReadOnlySpan<byte> message, ref int offset)
    {
        if (offset > message.Length - 4)
        {
            throw new DnsFormatException($"The DNS message ends at {message.Length} bytes, inside a field at offset {offset}.");
        }

        var value = BinaryPrimitives.ReadUInt32BigEndian(message[offset..]);
        offset += 4;
        return value;
    }
}
