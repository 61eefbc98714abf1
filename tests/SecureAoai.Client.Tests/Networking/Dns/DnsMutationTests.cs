using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SecureAoai.Client.Networking;
using SecureAoai.Client.Networking.Internal;
using SecureAoai.Client.Networking.Internal.Dns;
using Xunit.Abstractions;

namespace SecureAoai.Client.Tests.Networking.Dns;

/// <summary>
/// Corrupted DNS answers, from seeds shaped like real ones (privatelink CNAME chains, many records, NXDOMAIN, unknown
/// types, uncompressed names). At the boundary they come from a raw responder on a loopback socket and go through the
/// real transport, resolver and endpoint guard; under it, straight into the parser, many more of them.
/// Both runs are bounded in count; the boundary run also in time, by a hang guard per lookup.
/// </summary>
public sealed class DnsMutationTests(ITestOutputHelper output)
{
    private const int Seed = 20250611;
    private const int ParserIterations = 120_000;
    private const int BoundaryLookups = 400;
    private const string Host = "aoai-east.openai.azure.com";

    /// <summary>Only guards against a hang: the fake clock never moves, so no lookup waits for a timeout.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task VerifyAsync_CorruptedAnswersFromARealSocket_GiveAVerdictOrEndpointNetworkExceptionOnly()
    {
        var random = new Random(Seed);
        var shape = 0;
        await using var responder = ScriptedDnsServer.Start((id, question, _) =>
        {
            byte[] answer;
            lock (random)
            {
                // One shape per lookup, so A and AAAA agree on the chain when both survive; one answer in four is left
                // intact, so lookups where both survive (the verdict path) happen too.
                answer = Seeds(id, question)[shape];
                if (random.Next(4) != 0)
                {
                    answer = Mutate(answer, random);
                }
            }

            // Sent as often as an attempt looks at datagrams, so a refused answer ends the attempt by count, not by timeout.
            return Enumerable.Repeat(answer, DnsLimits.MaxIgnoredDatagramsPerAttempt);
        });
        var time = new FakeTimeProvider();
        var options = new DnsStubResolverOptions { AttemptsPerServer = 1, MaxTimeToLive = TimeSpan.Zero };
        options.Servers.Add(responder.EndPoint);
        var resolver = new DnsStubResolver(options, time);
        var shapes = Seeds(0, new DnsQuestion(Host, DnsRecordType.A)).Length;
        var verdicts = 0;
        var refusals = new Dictionary<EndpointNetworkFailure, int>();

        for (var i = 0; i < BoundaryLookups; i++)
        {
            lock (random)
            {
                shape = i % shapes;
            }

            using var guard = new EndpointGuard(resolver, NetworkPolicy.RequirePrivate, TimeSpan.FromSeconds(5), NullLogger.Instance, time);
            try
            {
                await guard.VerifyAsync(Host, default).AsTask().WaitAsync(HangGuard);
                verdicts++;
            }
            catch (EndpointNetworkException ex)
            {
                refusals[ex.Reason] = refusals.GetValueOrDefault(ex.Reason) + 1;
            }
            catch (Exception ex)
            {
                Assert.Fail($"Lookup {i} (seed {Seed}) ended in {ex.GetType().Name}, not a verdict or an EndpointNetworkException: {ex}");
            }
        }

        output.WriteLine($"{BoundaryLookups} lookups: {verdicts} verdicts; refused: {string.Join(", ", refusals.Select(r => $"{r.Key} {r.Value}"))}.");
        Assert.True(verdicts > 0, "Some corrupted answers should still be usable.");
        Assert.True(refusals.GetValueOrDefault(EndpointNetworkFailure.InvalidDnsResponse) > 0, "Some corrupted answers should be refused as invalid.");
    }

    [Fact]
    public void Read_RandomMutationsOfValidResponses_OnlySucceedOrThrowDnsFormatException()
    {
        var seeds = Seeds(1, new DnsQuestion(Host, DnsRecordType.A)).Concat(Seeds(2, new DnsQuestion(Host, DnsRecordType.Aaaa))).ToArray();
        var random = new Random(Seed);
        var parsed = 0;
        var rejected = 0;

        for (var i = 0; i < ParserIterations; i++)
        {
            var input = Mutate(seeds[random.Next(seeds.Length)], random);
            try
            {
                DnsMessageReader.Read(input);
                parsed++;
            }
            catch (DnsFormatException)
            {
                rejected++;
            }
            catch (Exception ex)
            {
                Assert.Fail($"Iteration {i} (seed {Seed}) threw {ex.GetType().Name} for input {Convert.ToHexString(input)}: {ex}");
            }
        }

        output.WriteLine($"{ParserIterations} inputs: {parsed} parsed, {rejected} rejected.");
        Assert.True(parsed > 0 && rejected > 0, "The mutations should produce both valid and invalid messages.");
    }

    /// <summary>Valid responses to <paramref name="question"/> with id <paramref name="id"/>, shaped like real ones.</summary>
    private static byte[][] Seeds(ushort id, DnsQuestion question)
    {
        var address = question.Type == DnsRecordType.Aaaa
            ? (Func<string, int, TestRecord>)((name, i) => TestRecord.Aaaa(name, $"fd00::{i}"))
            : (name, i) => TestRecord.A(name, $"10.1.2.{i}");
        var privateName = question.Name.Replace(".openai.", ".privatelink.openai.", StringComparison.Ordinal);
        return
        [
            DnsResponseBuilder.Response(id, question, [TestRecord.CName(question.Name, privateName), address(privateName, 3)]),
            DnsResponseBuilder.Response(id, question,
            [
                TestRecord.CName(question.Name, "a.b.openai.azure.com"),
                TestRecord.CName("a.b.openai.azure.com", "c.privatelink.openai.azure.com"),
                address("c.privatelink.openai.azure.com", 1),
                address("c.privatelink.openai.azure.com", 2),
            ]),
            DnsResponseBuilder.Response(id, question, Enumerable.Range(1, 40).Select(i => address(question.Name, i))),
            DnsResponseBuilder.Response(id, question, [], DnsResponseCode.NameError),
            DnsResponseBuilder.Response(id, question, [new TestRecord(question.Name, 16, 30, new byte[] { 3, 1, 2, 3 }), address(question.Name, 1)]),
            DnsResponseBuilder.Response(id, question, [address(question.Name, 1)], compress: false),
        ];
    }

    private static byte[] Mutate(byte[] original, Random random)
    {
        var bytes = new List<byte>(original);
        var edits = 1 + random.Next(4);
        for (var e = 0; e < edits; e++)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(7))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 3 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                case 4:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
                case 5 when bytes.Count > 1:
                    // A compression pointer anywhere, to anywhere: the shape most likely to loop or run off the end.
                    bytes[at] = (byte)(0xC0 | random.Next(4));
                    bytes[(at + 1) % bytes.Count] = (byte)random.Next(256);
                    break;
                case 6 when bytes.Count > 0:
                    var from = random.Next(bytes.Count);
                    bytes.InsertRange(at, bytes.GetRange(from, Math.Min(8, bytes.Count - from)));
                    break;
            }
        }

        return [.. bytes];
    }
}
