using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Reflection;
using System.Reflection.Emit;
using System.Security.Cryptography;
using SecureAoai.Client.Networking.Internal.Dns;
using DnsClientQuestion = DnsClient.DnsQuestion;
using LookupClient = DnsClient.LookupClient;
using LookupClientOptions = DnsClient.LookupClientOptions;
using QueryType = DnsClient.QueryType;

namespace SecureAoai.Client.Tests.Networking.Dns;

/// <summary>
/// What DnsClient 1.8.0's <c>LookupClient</c> does against the security requirements our stub resolver meets
/// (issue 13 item 2). Each test pins one fact about the library, found in its code and shown here on real loopback
/// sockets. The facts that fail a requirement are why <see cref="DnsStubResolver"/> keeps its own codec and transport;
/// if a later DnsClient version fixes them, these tests fail and say it is time to look again.
/// Our resolver's side of each requirement is tested in <see cref="DnsStubResolverTests"/>.
/// </summary>
public sealed class DnsClientRequirementTests
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    /// <summary>A client the way we would configure it: one explicit server, no cache, no retry, servers in order.</summary>
    private static LookupClient Client(ScriptedDnsServer server, int retries = 0) =>
        new(new LookupClientOptions(server.EndPoint)
        {
            UseCache = false,
            Retries = retries,
            UseRandomNameServer = false,
            Timeout = TimeSpan.FromSeconds(5),
        });

    /// <summary>
    /// Requirement: query ids come from a cryptographic random source, so an off-path spoofer must guess them.
    /// DnsClient draws them from <see cref="Random.Shared"/> (xoshiro256**, not a CSPRNG), and the id generator is
    /// internal, so no option or layer on top can change that. Our ids come from <see cref="RandomNumberGenerator"/>.
    /// </summary>
    [Fact]
    public void QueryId_IsDrawnFromRandomShared_NotFromACryptographicSource()
    {
        var header = typeof(LookupClient).Assembly.GetType("DnsClient.DnsRequestHeader", throwOnError: true)!;
        var newId = header.GetMethod("GetNextUniqueId", BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new InvalidOperationException("DnsClient no longer has DnsRequestHeader.GetNextUniqueId: look at how it makes ids now.");

        var called = CalledMethods(newId).Select(m => $"{m.DeclaringType!.FullName}.{m.Name}").ToList();

        Assert.Contains("System.Random.get_Shared", called);
        Assert.DoesNotContain(called, m => m.StartsWith(typeof(RandomNumberGenerator).FullName!, StringComparison.Ordinal));
    }

    /// <summary>
    /// Requirement: an answer is believed only when its question echoes ours. DnsClient checks the id alone: a
    /// response with our id, asking about another name, is returned with that name's addresses.
    /// This one could be layered on top (compare <c>response.Questions</c>); the others below cannot.
    /// </summary>
    [Fact]
    public async Task QueryServerAsync_AnswerWithOurIdButAnotherQuestion_IsReturned()
    {
        await using var server = ScriptedDnsServer.Start((id, q, _) =>
            [DnsResponseBuilder.Response(id, q with { Name = "evil.test" }, [TestRecord.A("evil.test", "6.6.6.6")])]);

        var response = await Client(server).QueryServerAsync([server.EndPoint], "a.test", QueryType.A).WaitAsync(HangGuard);

        Assert.Equal("evil.test.", Assert.Single(response.Questions).QueryName.Value);
        Assert.Equal(IPAddress.Parse("6.6.6.6"), Assert.Single(response.Answers.ARecords()).Address);
    }

    /// <summary>
    /// Requirement: only the server we asked may answer. DnsClient reads from an unconnected UDP socket, so a datagram
    /// from any address and port that carries our id is taken as the answer; the kernel filter a connected socket
    /// gives (our transport) is not there, and DnsClient does not expose the sender to check it ourselves.
    /// </summary>
    [Fact]
    public async Task QueryServerAsync_AnswerFromAnotherPort_IsReturned()
    {
        await using var server = ScriptedDnsServer.Start(
            (id, q, _) => [DnsResponseBuilder.Response(id, q, [TestRecord.A(q.Name, "6.6.6.6")])], replyFromOtherPort: true);

        var response = await Client(server).QueryServerAsync([server.EndPoint], "a.test", QueryType.A).WaitAsync(HangGuard);

        Assert.Equal(IPAddress.Parse("6.6.6.6"), Assert.Single(response.Answers.ARecords()).Address);
    }

    /// <summary>
    /// Requirement: a stray or spoofed datagram does not cost us the real answer. DnsClient takes the first datagram
    /// as the answer and fails the try on a wrong id, so one injected datagram per query denies the lookup on every
    /// try. Our transport skips up to <see cref="DnsLimits.MaxIgnoredDatagramsPerAttempt"/> and takes the real one.
    /// </summary>
    [Fact]
    public async Task QueryServerAsync_WrongIdDatagramBeforeTheRealAnswer_FailsEveryTry()
    {
        await using var server = ScriptedDnsServer.Start((id, q, _) =>
        [
            DnsResponseBuilder.Response((ushort)(id ^ 0x5A5A), q, [TestRecord.A(q.Name, "6.6.6.6")]),
            DnsResponseBuilder.Response(id, q, [TestRecord.A(q.Name, "10.0.0.7")]),
        ]);

        await Assert.ThrowsAsync<DnsClient.DnsXidMismatchException>(
            () => Client(server, retries: 2).QueryServerAsync([server.EndPoint], "a.test", QueryType.A).WaitAsync(HangGuard));
        Assert.Equal(3, server.UdpQueries);
    }

    /// <summary>
    /// Requirement: parsing is bounded by the message. DnsClient resolves a compression pointer against the whole
    /// pooled receive buffer (<see cref="ArrayPool{T}.Shared"/>, 4096 bytes) rather than the bytes received, so a
    /// pointer past the end of a short answer reads whatever the process last left in that buffer: here a label
    /// planted by the test, in real use another component's data, which then appears in names we log and report.
    /// Our reader refuses any pointer that does not point backwards inside the message.
    /// </summary>
    [Fact]
    public async Task QueryServerAsync_PointerPastTheEndOfTheAnswer_ReadsStaleMemoryOfThePooledBuffer()
    {
        const int plantedAt = 3000;
        await using var server = ScriptedDnsServer.Start((id, q, _) => [DnsResponseBuilder.AnswerNamedByPointer(id, q, plantedAt)]);
        var client = Client(server);
        var planted = ArrayPool<byte>.Shared.Rent(4096);
        byte[] label = [.. "\u000Cleakedsecret"u8, 0];
        label.CopyTo(planted.AsSpan(plantedAt));
        ArrayPool<byte>.Shared.Return(planted);

        // The receive buffer is rented on this thread before the first await, so it is the array just returned.
        var response = await client.QueryServerAsync([server.EndPoint], new DnsClientQuestion("a.test", QueryType.A)).WaitAsync(HangGuard);

        Assert.Equal("leakedsecret.", Assert.Single(response.Answers).DomainName.Value);
    }

    /// <summary>Requirement met: a truncated UDP answer is asked again over TCP.</summary>
    [Fact]
    public async Task QueryServerAsync_TruncatedUdpAnswer_AsksAgainOverTcp()
    {
        await using var server = ScriptedDnsServer.Start((id, q, tcp) =>
            [DnsResponseBuilder.Response(id, q, [TestRecord.A(q.Name, tcp ? "10.0.0.9" : "10.0.0.8")], truncated: !tcp)]);

        var response = await Client(server).QueryServerAsync([server.EndPoint], "a.test", QueryType.A).WaitAsync(HangGuard);

        Assert.Equal(IPAddress.Parse("10.0.0.9"), Assert.Single(response.Answers.ARecords()).Address);
        Assert.Equal(1, server.TcpQueries);
    }

    /// <summary>Requirement met: with <c>UseCache = false</c> every lookup asks the server, so our TTL cache alone decides.</summary>
    [Fact]
    public async Task QueryServerAsync_CacheOff_AsksTheServerEveryTime()
    {
        await using var server = ScriptedDnsServer.Answering(TestRecord.A("a.test", "10.0.0.7", ttl: 600));
        var client = Client(server);

        await client.QueryServerAsync([server.EndPoint], "a.test", QueryType.A).WaitAsync(HangGuard);
        await client.QueryServerAsync([server.EndPoint], "a.test", QueryType.A).WaitAsync(HangGuard);

        Assert.Equal(2, server.UdpQueries);
    }

    /// <summary>The methods <paramref name="method"/>'s IL calls, decoded opcode by opcode.</summary>
    private static IEnumerable<MethodBase> CalledMethods(MethodInfo method)
    {
        var il = method.GetMethodBody()!.GetILAsByteArray()!;
        for (var at = 0; at < il.Length;)
        {
            var opCode = il[at] == 0xFE ? TwoByteOpCodes[il[at + 1]] : OneByteOpCodes[il[at]];
            at += opCode.Size;
            if (opCode.OperandType == OperandType.InlineMethod)
            {
                yield return method.Module.ResolveMethod(BinaryPrimitives.ReadInt32LittleEndian(il.AsSpan(at)))!;
            }

            at += OperandBytes(opCode.OperandType, il, at);
        }
    }

    private static int OperandBytes(OperandType type, byte[] il, int at) => type switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + (4 * BinaryPrimitives.ReadInt32LittleEndian(il.AsSpan(at))),
        _ => 4,
    };

    private static readonly OpCode[] OneByteOpCodes = OpCodesBySize(1);
    private static readonly OpCode[] TwoByteOpCodes = OpCodesBySize(2);

    private static OpCode[] OpCodesBySize(int size)
    {
        var table = new OpCode[256];
        foreach (var field in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static))
        {
            var opCode = (OpCode)field.GetValue(null)!;
            if (opCode.Size == size)
            {
                table[(ushort)opCode.Value & 0xFF] = opCode;
            }
        }

        return table;
    }
}
