using SecureAoai.Client.Networking.Internal.Dns;

namespace SecureAoai.Client.Tests.Networking.Dns;

public sealed class DnsMalformedInputTests
{
    private static readonly DnsQuestion Question = new("a.test", DnsRecordType.A);

    /// <summary>A response header with the given counts, followed by <paramref name="body"/>.</summary>
    private static byte[] Message(int questions, int answers, params byte[] body) =>
        [0x12, 0x34, 0x81, 0x80, 0, (byte)questions, (byte)(answers >> 8), (byte)answers, 0, 0, 0, 0, .. body];

    private static void AssertFormatError(byte[] message)
    {
        var error = Record.Exception(() => DnsMessageReader.Read(message));

        Assert.IsType<DnsFormatException>(error);
    }

    [Fact]
    public void Read_PointerToItself_ThrowsDnsFormatException() =>
        AssertFormatError(Message(1, 0, 0xC0, 12, 0, 1, 0, 1));

    [Fact]
    public void Read_LabelThenPointerBackToItsOwnStart_ThrowsDnsFormatException() =>
        AssertFormatError(Message(1, 0, 1, (byte)'a', 0xC0, 12, 0, 1, 0, 1));

    [Fact]
    public void Read_TwoPointersToEachOther_ThrowsDnsFormatException() =>
        // Question at 12 is a label then a pointer to 18; the answer name at 18 points back to 14, the pointer at 14.
        AssertFormatError(Message(1, 1, 1, (byte)'a', 0xC0, 18, 0, 1, 0, 1, 0xC0, 14, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0));

    [Fact]
    public void Read_AnswerNamePointersChainingBackIntoALoop_ThrowsDnsFormatException() =>
        // Answer name at 18 -> 14 -> 12 ("a") -> pointer at 14 again: the second visit is not before the segment start.
        AssertFormatError(Message(1, 1, 1, (byte)'a', 0xC0, 12, 0, 1, 0, 1, 0xC0, 14, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0));

    [Fact]
    public void Read_PointerForward_ThrowsDnsFormatException() =>
        AssertFormatError(Message(1, 0, 0xC0, 14, 1, (byte)'a', 0, 0, 1, 0, 1));

    [Fact]
    public void Read_PointerOutOfRange_ThrowsDnsFormatException() =>
        AssertFormatError(Message(1, 0, 0xFF, 0xFF, 0, 1, 0, 1));

    [Fact]
    public void Read_PointerCutOffByEnd_ThrowsDnsFormatException() =>
        AssertFormatError(Message(1, 0, 0xC0));

    [Fact]
    public void Read_TooManyPointerJumps_ThrowsDnsFormatException()
    {
        // 20 backward pointers in a row, each to the previous one, ending at the root: strictly backwards but too many jumps.
        var body = new List<byte> { 0 };
        for (var i = 0; i < 20; i++)
        {
            var previous = 12 + (i == 0 ? 0 : 1 + ((i - 1) * 2));
            body.AddRange([0xC0, (byte)previous]);
        }

        var questionAt = 12 + body.Count - 2;
        body.AddRange([0, 1, 0, 1]);
        var message = Message(0, 0, [.. body]);
        var offset = questionAt;

        Assert.Throws<DnsFormatException>(() => DnsMessageReader.ReadName(message, ref offset));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(11)]
    public void Read_TruncatedHeader_ThrowsDnsFormatException(int length) =>
        AssertFormatError(Message(1, 0)[..length]);

    [Fact]
    public void Read_TruncatedQuestionName_ThrowsDnsFormatException() =>
        AssertFormatError(Message(1, 0, 4, (byte)'a', (byte)'b'));

    [Fact]
    public void Read_TruncatedQuestionType_ThrowsDnsFormatException() =>
        AssertFormatError(Message(1, 0, 1, (byte)'a', 0, 0));

    [Fact]
    public void Read_MissingAnswer_ThrowsDnsFormatException() =>
        AssertFormatError(Message(1, 1, 1, (byte)'a', 0, 0, 1, 0, 1));

    [Fact]
    public void Read_RdLengthBeyondMessage_ThrowsDnsFormatException() =>
        AssertFormatError(Message(1, 1, 1, (byte)'a', 0, 0, 1, 0, 1, 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 200, 10, 0, 0, 1));

    [Fact]
    public void Read_ARecordWithFiveBytes_ThrowsDnsFormatException() =>
        AssertFormatError(Message(1, 1, 1, (byte)'a', 0, 0, 1, 0, 1, 0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 10, 0, 0, 1, 9));

    [Fact]
    public void Read_CnameTargetShorterThanRdLength_ThrowsDnsFormatException() =>
        AssertFormatError(Message(1, 1, 1, (byte)'a', 0, 0, 1, 0, 1, 0xC0, 12, 0, 5, 0, 1, 0, 0, 0, 60, 0, 4, 0xC0, 12, 0, 0));

    [Theory]
    [InlineData(0x40)]
    [InlineData(0x80)]
    [InlineData(0x7F)]
    [InlineData(0xBF)]
    public void Read_LabelLengthWithReservedBits_ThrowsDnsFormatException(int lengthByte) =>
        AssertFormatError(Message(1, 0, [(byte)lengthByte, .. Enumerable.Repeat((byte)'a', 200), 0, 0, 1, 0, 1]));

    [Fact]
    public void Read_NameOver255Bytes_ThrowsDnsFormatException()
    {
        // Four 63-byte labels: 4 * 64 + 1 = 257 bytes in wire form.
        var name = Enumerable.Range(0, 4).SelectMany(_ => (byte[])[63, .. Enumerable.Repeat((byte)'a', 63)]).ToArray();

        AssertFormatError(Message(1, 0, [.. name, 0, 0, 1, 0, 1]));
    }

    [Fact]
    public void Read_NameOf255BytesExactly_IsAccepted()
    {
        // Three 63-byte labels and one 61-byte label: 3 * 64 + 62 + 1 = 255 bytes.
        var labels = new[] { 63, 63, 63, 61 }.SelectMany(n => (byte[])[(byte)n, .. Enumerable.Repeat((byte)'a', n)]).ToArray();

        var message = DnsMessageReader.Read(Message(1, 0, [.. labels, 0, 0, 1, 0, 1]));

        Assert.Equal(253, message.Question!.Value.Name.Length);
    }

    [Theory]
    [InlineData((byte)'.')]
    [InlineData((byte)' ')]
    [InlineData(0)]
    [InlineData(0xFF)]
    public void Read_LabelWithDotOrNonPrintableByte_ThrowsDnsFormatException(byte bad) =>
        AssertFormatError(Message(1, 0, 3, (byte)'a', bad, (byte)'b', 0, 0, 1, 0, 1));

    [Fact]
    public void Read_TooManyAnswers_ThrowsDnsFormatException() =>
        AssertFormatError(Message(1, DnsLimits.MaxRecordsPerSection + 1, 1, (byte)'a', 0, 0, 1, 0, 1));

    [Fact]
    public void Read_HugeAnswerCountWithNoData_ThrowsDnsFormatExceptionWithoutAllocating() =>
        AssertFormatError(Message(1, 0xFFFF, 1, (byte)'a', 0, 0, 1, 0, 1));

    [Fact]
    public void Read_TwoQuestions_ThrowsDnsFormatException() =>
        AssertFormatError(Message(2, 0, 1, (byte)'a', 0, 0, 1, 0, 1, 1, (byte)'a', 0, 0, 1, 0, 1));

    [Fact]
    public void Matches_WrongId_IsFalse()
    {
        var message = DnsMessageReader.Read(DnsResponseBuilder.Response(1, Question, []));

        Assert.False(message.Matches(2, Question));
    }

    [Fact]
    public void Matches_NoQuestionEcho_IsFalse()
    {
        var message = DnsMessageReader.Read(Message(0, 0));

        Assert.False(message.Matches(0x1234, Question));
    }
}
