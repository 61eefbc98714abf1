using System.Diagnostics;
using SecureAoai.Client.Networking.Internal.Dns;
using Xunit.Abstractions;

namespace SecureAoai.Client.Tests.Networking.Dns;

public sealed class DnsMutationTests(ITestOutputHelper output)
{
    private const int Seed = 20250611;
    private const int Iterations = 120_000;

    private static byte[][] Seeds()
    {
        var question = new DnsQuestion("aoai-east.openai.azure.com", DnsRecordType.A);
        return
        [
            DnsResponseBuilder.Response(1, question,
            [
                TestRecord.CName("aoai-east.openai.azure.com", "aoai-east.privatelink.openai.azure.com"),
                TestRecord.A("aoai-east.privatelink.openai.azure.com", "10.1.2.3"),
            ]),
            DnsResponseBuilder.Response(2, question with { Type = DnsRecordType.Aaaa },
            [
                TestRecord.CName("aoai-east.openai.azure.com", "a.b.openai.azure.com"),
                TestRecord.CName("a.b.openai.azure.com", "c.privatelink.openai.azure.com"),
                TestRecord.Aaaa("c.privatelink.openai.azure.com", "fd00::1"),
                TestRecord.Aaaa("c.privatelink.openai.azure.com", "fd00::2"),
            ]),
            DnsResponseBuilder.Response(3, question, Enumerable.Range(1, 40).Select(i => TestRecord.A("big.test", $"10.9.0.{i}"))),
            DnsResponseBuilder.Response(4, question, [], DnsResponseCode.NameError),
            DnsResponseBuilder.Response(5, question, [new TestRecord("x.test", 16, 30, new byte[] { 3, 1, 2, 3 }), TestRecord.A("x.test", "10.0.0.1")]),
            DnsResponseBuilder.Response(6, question, [TestRecord.A("aoai-east.openai.azure.com", "10.0.0.1")], compress: false),
        ];
    }

    [Fact]
    public void Read_RandomMutationsOfValidResponses_OnlySucceedOrThrowDnsFormatException()
    {
        var seeds = Seeds();
        var random = new Random(Seed);
        var parsed = 0;
        var rejected = 0;
        var stopwatch = Stopwatch.StartNew();

        for (var i = 0; i < Iterations; i++)
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

        stopwatch.Stop();
        output.WriteLine($"{Iterations} inputs in {stopwatch.ElapsedMilliseconds} ms: {parsed} parsed, {rejected} rejected.");
        Assert.True(parsed > 0 && rejected > 0, "The mutations should produce both valid and invalid messages.");
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
