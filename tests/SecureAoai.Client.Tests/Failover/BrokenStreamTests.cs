using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Polly.CircuitBreaker;
using static SecureAoai.Client.Tests.Failover.ScriptedNetwork;

namespace SecureAoai.Client.Tests.Failover;

/// <summary>A stream that breaks after its headers: never sent again, and counted against its endpoint.</summary>
public sealed class BrokenStreamTests
{
    /// <summary>A server-sent event stream that gives one event, then fails as a cut connection does.</summary>
    internal static HttpResponseMessage CutStream()
    {
        var content = new StreamContent(new CutAfterFirstRead("data: {\"choices\":[]}\n\n"u8.ToArray()));
        content.Headers.ContentType = new MediaTypeHeaderValue("text/event-stream");
        return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
    }

    private static async Task<Exception?> ReadToEndAsync(HttpResponseMessage response)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync();
            await body.CopyToAsync(Stream.Null);
            return null;
        }
        catch (IOException ex)
        {
            return ex;
        }
    }

    [Fact]
    public async Task Stream_BreaksAfterHeaders_CallerGetsErrorNoReplayAndNextRequestAvoidsEndpoint()
    {
        using var harness = new FailoverHarness();
        harness.Network.Answer("east", CutStream);

        using var cut = await harness.SendAsync();
        var error = await ReadToEndAsync(cut);
        using var next = await harness.SendAsync();

        Assert.NotNull(error);
        Assert.Equal(1, harness.Network.CountFor("east"));
        Assert.Contains("west", await next.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(1, harness.Network.CountFor("west"));
    }

    [Fact]
    public async Task Stream_BreaksEveryTime_CircuitOpensAfterThreshold()
    {
        using var harness = new FailoverHarness(o =>
        {
            o.Failover.BreakerFailureThreshold = 4;
            o.Failover.BaseCooldown = TimeSpan.FromMilliseconds(1);
        });
        harness.Network.Answer("east", CutStream);

        for (var i = 0; i < 6; i++)
        {
            using var response = await harness.SendAsync();
            await ReadToEndAsync(response);
            harness.Time.Advance(TimeSpan.FromSeconds(1)); // past east's cooldown: only its circuit can keep it out
        }

        // Each cut stream is a success (its headers) and a failure (its cut): half of four outcomes after two.
        Assert.Equal(2, harness.Network.CountFor("east"));
        Assert.Equal(CircuitState.Open, harness["east"].Circuit.CircuitState);
    }

    [Fact]
    public async Task Stream_ReadToItsEnd_EndpointStaysInUse()
    {
        using var harness = new FailoverHarness();
        harness.Network.Answer("east", () =>
        {
            var content = new StringContent("data: {\"choices\":[]}\n\ndata: [DONE]\n\n", Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/event-stream");
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
        });

        for (var i = 0; i < 3; i++)
        {
            using var response = await harness.SendAsync();
            Assert.Null(await ReadToEndAsync(response));
        }

        Assert.Equal(3, harness.Network.CountFor("east"));
    }

    private sealed class CutAfterFirstRead(byte[] first) : Stream
    {
        private bool _served;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_served)
            {
                throw new IOException("The response ended prematurely.");
            }

            _served = true;
            first.CopyTo(buffer);
            return first.Length;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
