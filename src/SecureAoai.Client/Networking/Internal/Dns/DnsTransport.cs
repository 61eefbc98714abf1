using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SecureAoai.Client.Networking.Internal.Dns;

/// <summary>
/// Sends one query to one server and waits for its answer: over UDP on a socket connected to the server (so the
/// kernel drops datagrams from anyone else), then over TCP when the UDP answer comes back truncated.
/// </summary>
internal static class DnsTransport
{
    /// <summary>Asks <paramref name="server"/> <paramref name="question"/> once, with a fresh random id.</summary>
    /// <param name="server">The DNS server.</param>
    /// <param name="question">What to ask.</param>
    /// <param name="useEdns">Whether to advertise <see cref="DnsLimits.EdnsUdpPayloadBytes"/>; without it, UDP answers are at most 512 bytes.</param>
    /// <param name="timeout">How long to wait for the UDP answer, and again for the TCP answer when one is needed.</param>
    /// <param name="timeProvider">The clock <paramref name="timeout"/> runs on.</param>
    /// <param name="cancellationToken">Cancels the exchange.</param>
    public static async Task<DnsExchangeResult> ExchangeAsync(
        IPEndPoint server, DnsQuestion question, bool useEdns, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var udp = await ExchangeUdpAsync(server, question, useEdns, timeout, timeProvider, cancellationToken).ConfigureAwait(false);
        if (udp.Message is not { IsTruncated: true })
        {
            return udp;
        }

        return await ExchangeTcpAsync(server, question, useEdns, timeout, timeProvider, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<DnsExchangeResult> ExchangeUdpAsync(
        IPEndPoint server, DnsQuestion question, bool useEdns, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var id = DnsMessageWriter.NewId();
        var query = DnsMessageWriter.WriteQuery(id, question, useEdns);
        var screen = new UdpAnswerScreen(id, question, useEdns ? DnsLimits.EdnsUdpPayloadBytes : DnsLimits.MaxUdpMessageBytesWithoutEdns);

        // One byte more than allowed, so an oversized datagram shows up as one that filled the buffer.
        var buffer = ArrayPool<byte>.Shared.Rent(screen.MaxBytes + 1);
        using var deadline = new CancellationTokenSource(timeout, timeProvider);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        using var socket = new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            await socket.ConnectAsync(server, timeoutSource.Token).ConfigureAwait(false);
            await socket.SendAsync(query, SocketFlags.None, timeoutSource.Token).ConfigureAwait(false);
            while (screen.Ignored < DnsLimits.MaxIgnoredDatagramsPerAttempt)
            {
                var received = await socket.ReceiveAsync(buffer.AsMemory(0, screen.MaxBytes + 1), SocketFlags.None, timeoutSource.Token)
                    .ConfigureAwait(false);
                if (screen.Accept(buffer.AsSpan(0, received)) is { } message)
                {
                    return new DnsExchangeResult(DnsExchangeStatus.Answered, message, "answered");
                }
            }

            return screen.Invalid();
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return DrainAfterDeadline(socket, buffer, screen)
                ?? (screen.Ignored > 0 ? screen.Invalid() : new DnsExchangeResult(DnsExchangeStatus.TimedOut, null, $"timed out after {Describe(timeout)}"));
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionRefused or SocketError.ConnectionReset)
        {
            return new DnsExchangeResult(DnsExchangeStatus.Unreachable, null, "is unreachable (port closed)");
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.MessageSize)
        {
            screen.IgnoreOversized();
            return screen.Invalid();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>
    /// Reads, without waiting, the datagrams already queued when the deadline fired: an answer that arrived in time
    /// is not thrown away because this thread got to it late. Bounded like the receive loop.
    /// </summary>
    /// <returns>The exchange result if a queued datagram answered the query; otherwise null.</returns>
    private static DnsExchangeResult? DrainAfterDeadline(Socket socket, byte[] buffer, UdpAnswerScreen screen)
    {
        try
        {
            while (screen.Ignored < DnsLimits.MaxIgnoredDatagramsPerAttempt && socket.Available > 0)
            {
                var received = socket.Receive(buffer, 0, screen.MaxBytes + 1, SocketFlags.None);
                if (screen.Accept(buffer.AsSpan(0, received)) is { } message)
                {
                    return new DnsExchangeResult(DnsExchangeStatus.Answered, message, "answered");
                }
            }
        }
        catch (SocketException)
        {
            // An error queued behind the datagrams (e.g. ICMP) ends the drain; what was read so far stands.
        }

        return null;
    }

    private static async Task<DnsExchangeResult> ExchangeTcpAsync(
        IPEndPoint server, DnsQuestion question, bool useEdns, TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        var id = DnsMessageWriter.NewId();
        var query = DnsMessageWriter.WriteQuery(id, question, useEdns);
        var framed = new byte[2 + query.Length];
        BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)query.Length);
        query.CopyTo(framed, 2);

        using var deadline = new CancellationTokenSource(timeout, timeProvider);
        using var timeoutSource = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        using var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(server, timeoutSource.Token).ConfigureAwait(false);
            await socket.SendAsync(framed, SocketFlags.None, timeoutSource.Token).ConfigureAwait(false);

            var prefix = new byte[2];
            if (!await ReceiveExactlyAsync(socket, prefix, timeoutSource.Token).ConfigureAwait(false))
            {
                return Invalid(1, "a TCP connection closed before the answer's length");
            }

            // The 2-byte prefix caps the message at DnsLimits.MaxTcpMessageBytes; anything shorter than a header is not a message.
            var length = BinaryPrimitives.ReadUInt16BigEndian(prefix);
            if (length < DnsLimits.HeaderBytes)
            {
                return Invalid(1, $"a {length}-byte TCP answer, shorter than a DNS header");
            }

            var body = new byte[length];
            if (!await ReceiveExactlyAsync(socket, body, timeoutSource.Token).ConfigureAwait(false))
            {
                return Invalid(1, $"a TCP connection closed inside a {length}-byte answer");
            }

            var message = DnsMessageReader.Read(body);
            return message.Matches(id, question)
                ? new DnsExchangeResult(DnsExchangeStatus.Answered, message, "answered over TCP")
                : Invalid(1, "a TCP answer with the wrong id or question");
        }
        catch (DnsFormatException ex)
        {
            return Invalid(1, $"a malformed TCP answer ({ex.Message})");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new DnsExchangeResult(DnsExchangeStatus.TimedOut, null, $"timed out over TCP after {Describe(timeout)}");
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionRefused)
        {
            return new DnsExchangeResult(DnsExchangeStatus.Unreachable, null, "sent a truncated answer but refused TCP");
        }
        catch (SocketException ex)
        {
            return Invalid(1, $"a TCP error ({ex.SocketErrorCode})");
        }
    }

    private static async ValueTask<bool> ReceiveExactlyAsync(Socket socket, Memory<byte> destination, CancellationToken cancellationToken)
    {
        // Each read returns at least one byte or ends the loop, so this runs at most destination.Length times.
        while (destination.Length > 0)
        {
            var read = await socket.ReceiveAsync(destination, SocketFlags.None, cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                return false;
            }

            destination = destination[read..];
        }

        return true;
    }

    private static DnsExchangeResult Invalid(int count, string lastProblem) =>
        new(DnsExchangeStatus.Invalid, null, count == 1 ? $"sent {lastProblem}" : $"sent {count} unusable messages, the last {lastProblem}");

    /// <summary>Judges the datagrams of one UDP attempt: within size, well-formed, our id and our question.</summary>
    private sealed class UdpAnswerScreen(ushort id, DnsQuestion question, int maxBytes)
    {
        private string _lastProblem = "";

        /// <summary>The largest datagram accepted, in bytes.</summary>
        public int MaxBytes => maxBytes;

        /// <summary>How many datagrams were looked at and not accepted.</summary>
        public int Ignored { get; private set; }

        /// <summary>The answer in <paramref name="datagram"/>, or null (and one more ignored) when it is not one.</summary>
        public DnsMessage? Accept(ReadOnlySpan<byte> datagram)
        {
            if (datagram.Length > maxBytes)
            {
                return IgnoreOversized();
            }

            DnsMessage message;
            try
            {
                message = DnsMessageReader.Read(datagram);
            }
            catch (DnsFormatException ex)
            {
                return Ignore($"a malformed answer ({ex.Message})");
            }

            return message.Matches(id, question) ? message : Ignore("an answer with the wrong id or question");
        }

        /// <summary>Counts a datagram too big to look at.</summary>
        public DnsMessage? IgnoreOversized() => Ignore($"a datagram over the {maxBytes} bytes we allow");

        public DnsExchangeResult Invalid() => DnsTransport.Invalid(Ignored, _lastProblem);

        private DnsMessage? Ignore(string problem)
        {
            Ignored++;
            _lastProblem = problem;
            return null;
        }
    }

    /// <summary>"2 s", "500 ms": a timeout the way a person reads it.</summary>
    public static string Describe(TimeSpan timeout) =>
        timeout.TotalMilliseconds % 1000 == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{timeout.TotalSeconds} s")
            : string.Create(CultureInfo.InvariantCulture, $"{timeout.TotalMilliseconds} ms");
}
