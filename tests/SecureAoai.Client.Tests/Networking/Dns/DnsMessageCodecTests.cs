using System.Net;
using SecureAoai.Client.Networking.Internal.Dns;

namespace SecureAoai.Client.Tests.Networking.Dns;

public sealed class DnsMessageCodecTests
{
    private static readonly DnsQuestion Question = new("aoai-east.openai.azure.com", DnsRecordType.A);

    [Fact]
    public void WriteQuery_ThenRead_RoundTripsIdQuestionAndFlags()
    {
        var query = DnsMessageWriter.WriteQuery(0xBEEF, Question, useEdns: false);

        var message = DnsMessageReader.Read(query);

        Assert.Equal(0xBEEF, message.Id);
        Assert.False(message.IsResponse);
        Assert.Equal(0, message.Opcode);
        Assert.Equal(Question, message.Question);
        Assert.Empty(message.Answers);
        Assert.Equal(0x01, query[2]); // RD set, nothing else
        Assert.Equal(0, query[11]); // no additional record without EDNS
    }

    [Fact]
    public void WriteQuery_WithEdns_AddsOptRecordAdvertising1232Bytes()
    {
        var query = DnsMessageWriter.WriteQuery(1, Question, useEdns: true);

        Assert.Equal(1, query[11]);
        var opt = query.AsSpan(query.Length - 11);
        Assert.Equal([0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0], opt.ToArray());
    }

    [Theory]
    [InlineData("")]
    [InlineData("a..b")]
    [InlineData(".")]
    [InlineData("bad name.test")]
    [InlineData("bücher.test")]
    public void WriteQuery_InvalidName_ThrowsArgumentException(string name)
    {
        Assert.ThrowsAny<ArgumentException>(() => DnsMessageWriter.WriteQuery(1, new DnsQuestion(name, DnsRecordType.A), false));
    }

    [Fact]
    public void WriteQuery_LabelOver63_ThrowsArgumentException()
    {
        Assert.Throws<ArgumentException>(() => DnsMessageWriter.WriteQuery(1, new DnsQuestion(new string('a', 64) + ".test", DnsRecordType.A), false));
    }

    [Fact]
    public void WriteQuery_TrailingDot_IsDropped()
    {
        var message = DnsMessageReader.Read(DnsMessageWriter.WriteQuery(1, new DnsQuestion("example.test.", DnsRecordType.Aaaa), false));

        Assert.Equal("example.test", message.Question!.Value.Name);
    }

    [Fact]
    public void Read_CompressedCnameChain_ReturnsRecordsWithExpandedNames()
    {
        var response = DnsResponseBuilder.Response(7, Question,
        [
            TestRecord.CName("aoai-east.openai.azure.com", "aoai-east.privatelink.openai.azure.com", 300),
            TestRecord.A("aoai-east.privatelink.openai.azure.com", "10.1.2.3", 60),
        ]);
        var uncompressed = DnsResponseBuilder.Response(7, Question,
        [
            TestRecord.CName("aoai-east.openai.azure.com", "aoai-east.privatelink.openai.azure.com", 300),
            TestRecord.A("aoai-east.privatelink.openai.azure.com", "10.1.2.3", 60),
        ], compress: false);

        var message = DnsMessageReader.Read(response);

        Assert.True(response.Length < uncompressed.Length);
        Assert.True(message.IsResponse);
        Assert.True(message.Matches(7, Question));
        Assert.Collection(message.Answers,
            r =>
            {
                Assert.Equal(("aoai-east.openai.azure.com", DnsRecordType.CName, 300u), (r.Name, r.Type, r.TimeToLiveSeconds));
                Assert.Equal("aoai-east.privatelink.openai.azure.com", r.Target);
            },
            r =>
            {
                Assert.Equal(("aoai-east.privatelink.openai.azure.com", DnsRecordType.A, 60u), (r.Name, r.Type, r.TimeToLiveSeconds));
                Assert.Equal(IPAddress.Parse("10.1.2.3"), r.Address);
            });
        Assert.Equal(message.Answers, DnsMessageReader.Read(uncompressed).Answers);
    }

    [Fact]
    public void Read_AaaaAndUnknownType_ReadsAddressAndSkipsUnknownByLength()
    {
        var response = DnsResponseBuilder.Response(7, Question,
        [
            new TestRecord("x.test", 16, 30, new byte[] { 3, (byte)'a', (byte)'b', (byte)'c' }),
            TestRecord.Aaaa("x.test", "fd00::1"),
        ]);

        var message = DnsMessageReader.Read(response);

        var record = Assert.Single(message.Answers);
        Assert.Equal(IPAddress.Parse("fd00::1"), record.Address);
    }

    [Fact]
    public void Read_TtlWithTopBitSet_ReadsAsZero()
    {
        var message = DnsMessageReader.Read(DnsResponseBuilder.Response(7, Question, [TestRecord.A("x.test", "10.0.0.1", 0x8000_0001)]));

        Assert.Equal(0u, message.Answers[0].TimeToLiveSeconds);
    }

    [Fact]
    public void Read_FlagsAndRcode_AreReported()
    {
        var message = DnsMessageReader.Read(DnsResponseBuilder.Response(9, Question, [], DnsResponseCode.NameError, truncated: true));

        Assert.True(message.IsTruncated);
        Assert.Equal(DnsResponseCode.NameError, message.ResponseCode);
    }

    [Theory]
    [InlineData(8, "aoai-east.openai.azure.com", 1)]
    [InlineData(7, "other.openai.azure.com", 1)]
    [InlineData(7, "aoai-east.openai.azure.com", 28)]
    public void Matches_WrongIdOrQuestion_IsFalse(int id, string name, int type)
    {
        var message = DnsMessageReader.Read(DnsResponseBuilder.Response((ushort)id, new DnsQuestion(name, (DnsRecordType)type), []));

        Assert.False(message.Matches(7, Question));
    }

    [Fact]
    public void Matches_NameInOtherCase_IsTrue()
    {
        var message = DnsMessageReader.Read(DnsResponseBuilder.Response(7, Question with { Name = "AOAI-East.OpenAI.Azure.COM" }, []));

        Assert.True(message.Matches(7, Question));
    }

    [Fact]
    public void Matches_Query_IsFalse()
    {
        var message = DnsMessageReader.Read(DnsMessageWriter.WriteQuery(7, Question, false));

        Assert.False(message.Matches(7, Question));
    }
}
