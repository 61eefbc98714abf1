using System.Buffers.Binary;
using System.Net;
using SecureAoai.Client.Networking.Internal.Dns;

namespace SecureAoai.Client.Tests.Networking.Dns;

/// <summary>One answer record for <see cref="DnsResponseBuilder"/>: data is an IP address, a CNAME target, or raw bytes for other types.</summary>
internal sealed record TestRecord(string Name, ushort Type, uint Ttl, object Data)
{
    public static TestRecord A(string name, string address, uint ttl = 300) => new(name, 1, ttl, IPAddress.Parse(address));

    public static TestRecord Aaaa(string name, string address, uint ttl = 300) => new(name, 28, ttl, IPAddress.Parse(address));

    public static TestRecord CName(string name, string target, uint ttl = 300) => new(name, 5, ttl, target);
}

/// <summary>Writes DNS responses the way a server would, with or without name compression, for tests only.</summary>
internal static class DnsResponseBuilder
{
    public static byte[] Response(
        ushort id,
        DnsQuestion question,
        IEnumerable<TestRecord> answers,
        DnsResponseCode rcode = DnsResponseCode.NoError,
        bool truncated = false,
        bool compress = true)
    {
        var records = answers.ToList();
        var bytes = new List<byte>();
        var names = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        AddUInt16(bytes, id);
        AddUInt16(bytes, (ushort)(0x8000 | 0x0100 | 0x0080 | (truncated ? 0x0200 : 0) | (int)rcode));
        AddUInt16(bytes, 1);
        AddUInt16(bytes, (ushort)records.Count);
        AddUInt16(bytes, 0);
        AddUInt16(bytes, 0);
        AddName(bytes, names, question.Name, compress);
        AddUInt16(bytes, (ushort)question.Type);
        AddUInt16(bytes, question.Class);
        foreach (var record in records)
        {
            AddName(bytes, names, record.Name, compress);
            AddUInt16(bytes, record.Type);
            AddUInt16(bytes, 1);
            AddUInt32(bytes, record.Ttl);
            var lengthAt = bytes.Count;
            AddUInt16(bytes, 0);
            switch (record.Data)
            {
                case IPAddress address:
                    bytes.AddRange(address.GetAddressBytes());
                    break;
                case string target:
                    AddName(bytes, names, target, compress);
                    break;
                case byte[] raw:
                    bytes.AddRange(raw);
                    break;
            }

            var length = bytes.Count - lengthAt - 2;
            bytes[lengthAt] = (byte)(length >> 8);
            bytes[lengthAt + 1] = (byte)length;
        }

        return [.. bytes];
    }

    /// <summary>A response to <paramref name="question"/> with one A record whose owner name is a compression pointer to <paramref name="pointer"/>.</summary>
    public static byte[] AnswerNamedByPointer(ushort id, DnsQuestion question, int pointer)
    {
        var head = Response(id, question, []);
        BinaryPrimitives.WriteUInt16BigEndian(head.AsSpan(6), 1);
        byte[] record = [(byte)(0xC0 | (pointer >> 8)), (byte)pointer, 0, 1, 0, 1, 0, 0, 1, 44, 0, 4, 10, 0, 0, 7];
        return [.. head, .. record];
    }

    /// <summary>The question of a query written by <see cref="DnsMessageWriter"/>, and its id.</summary>
    public static (ushort Id, DnsQuestion Question) ReadQuery(ReadOnlySpan<byte> query)
    {
        var message = DnsMessageReader.Read(query);
        return (message.Id, message.Question!.Value);
    }

    private static void AddName(List<byte> bytes, Dictionary<string, int> names, string name, bool compress)
    {
        var labels = name.Split('.', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < labels.Length; i++)
        {
            var suffix = string.Join('.', labels[i..]);
            if (compress && names.TryGetValue(suffix, out var at))
            {
                bytes.Add((byte)(0xC0 | (at >> 8)));
                bytes.Add((byte)at);
                return;
            }

            if (bytes.Count < 0x3FFF)
            {
                names.TryAdd(suffix, bytes.Count);
            }

            bytes.Add((byte)labels[i].Length);
            bytes.AddRange(labels[i].Select(c => (byte)c));
        }

        bytes.Add(0);
    }

    private static void AddUInt16(List<byte> bytes, ushort value)
    {
        Span<byte> span = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(span, value);
        bytes.AddRange(span.ToArray());
    }

    private static void AddUInt32(List<byte> bytes, uint value)
    {
        Span<byte> span = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(span, value);
        bytes.AddRange(span.ToArray());
    }
}
