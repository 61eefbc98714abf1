using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SecureAoai.Client.Networking.Internal.Dns;

namespace SecureAoai.Client.Tests.Networking.Dns;

/// <summary>
/// A DNS server on 127.0.0.1 (UDP and TCP on one port) whose answers a test scripts: for each query the handler
/// returns the datagrams to send back (none for silence, several for spoofed-then-real). Over TCP the first is sent.
/// It records the id of every UDP query, and a test can await a count of UDP queries (then advance a fake clock).
/// </summary>
internal sealed class ScriptedDnsServer : IAsyncDisposable
{
    private const int MaxBindAttempts = 10;

    private readonly Func<ushort, DnsQuestion, bool, IEnumerable<byte[]>> _handler;
    private readonly Socket _udp;
    private readonly Socket? _replyFrom;
    private readonly List<ushort> _udpIds = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
    private readonly TcpListener _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;
    private int _udpQueries;
    private int _tcpQueries;

    private ScriptedDnsServer(Socket udp, TcpListener tcp, Func<ushort, DnsQuestion, bool, IEnumerable<byte[]>> handler, Socket? replyFrom)
    {
        _udp = udp;
        _replyFrom = replyFrom;
        _tcp = tcp;
        _handler = handler;
        EndPoint = (IPEndPoint)udp.LocalEndPoint!;
        _udpLoop = Task.Run(ServeUdpAsync);
        _tcpLoop = Task.Run(ServeTcpAsync);
    }

    public IPEndPoint EndPoint { get; }

    public int UdpQueries => Volatile.Read(ref _udpQueries);

    /// <summary>The ids of the UDP queries received so far, in order of arrival.</summary>
    public IReadOnlyList<ushort> UdpQueryIds
    {
        get
        {
            lock (_waiters)
            {
                return [.. _udpIds];
            }
        }
    }

    public int TcpQueries => Volatile.Read(ref _tcpQueries);

    /// <summary>Starts a server; <paramref name="handler"/> gets (id, question, overTcp) and returns the messages to send.</summary>
    /// <param name="handler">The script.</param>
    /// <param name="replyFromOtherPort">Whether UDP answers leave from a second socket on another port, as a spoofer's would.</param>
    public static ScriptedDnsServer Start(Func<ushort, DnsQuestion, bool, IEnumerable<byte[]>> handler, bool replyFromOtherPort = false)
    {
        for (var attempt = 1; ; attempt++)
        {
            var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var tcp = new TcpListener(IPAddress.Loopback, ((IPEndPoint)udp.LocalEndPoint!).Port);
            try
            {
                tcp.Start();
                Socket? replyFrom = null;
                if (replyFromOtherPort)
                {
                    replyFrom = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                    replyFrom.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                }

                return new ScriptedDnsServer(udp, tcp, handler, replyFrom);
            }
            catch (SocketException) when (attempt < MaxBindAttempts)
            {
                udp.Dispose();
            }
        }
    }

    /// <summary>A server that answers every question with <paramref name="records"/> (those whose type fits the question, plus CNAMEs).</summary>
    public static ScriptedDnsServer Answering(params TestRecord[] records) =>
        Start((id, question, _) => [DnsResponseBuilder.Response(id, question, records.Where(r => r.Type == 5 || r.Type == (ushort)question.Type))]);

    /// <summary>A server that never answers.</summary>
    public static ScriptedDnsServer Silent() => Start((_, _, _) => []);

    /// <summary>
    /// Completes once <paramref name="count"/> UDP queries have arrived and been answered (the answers are sent before
    /// this completes). Fails after <paramref name="hangGuard"/>, which only guards against a hang.
    /// </summary>
    public Task WaitForUdpQueriesAsync(int count, TimeSpan hangGuard)
    {
        TaskCompletionSource reached;
        lock (_waiters)
        {
            if (_udpIds.Count >= count)
            {
                return Task.CompletedTask;
            }

            reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
        }

        return reached.Task.WaitAsync(hangGuard);
    }

    private async Task ServeUdpAsync()
    {
        var buffer = new byte[DnsLimits.MaxTcpMessageBytes];
        while (!_stop.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _udp.ReceiveFromAsync(buffer, SocketFlags.None, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }

                continue; // e.g. ICMP port unreachable from a client that already gave up
            }

            Interlocked.Increment(ref _udpQueries);
            var (id, question) = DnsResponseBuilder.ReadQuery(buffer.AsSpan(0, received.ReceivedBytes));
            foreach (var response in _handler(id, question, false))
            {
                try
                {
                    await (_replyFrom ?? _udp).SendToAsync(response, SocketFlags.None, received.RemoteEndPoint);
                }
                catch (SocketException)
                {
                    break; // the client already took an earlier datagram and closed its port
                }
            }

            Answered(id);
        }
    }

    private void Answered(ushort id)
    {
        lock (_waiters)
        {
            _udpIds.Add(id);
            foreach (var waiter in _waiters.Where(w => _udpIds.Count >= w.Count).ToList())
            {
                waiter.Reached.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    private async Task ServeTcpAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _tcp.AcceptSocketAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            using (client)
            {
                Interlocked.Increment(ref _tcpQueries);
                var prefix = new byte[2];
                await client.ReceiveAsync(prefix, SocketFlags.None, _stop.Token);
                var query = new byte[BinaryPrimitives.ReadUInt16BigEndian(prefix)];
                var read = 0;
                while (read < query.Length)
                {
                    read += await client.ReceiveAsync(query.AsMemory(read), SocketFlags.None, _stop.Token);
                }

                var (id, question) = DnsResponseBuilder.ReadQuery(query);
                if (_handler(id, question, true).FirstOrDefault() is { } response)
                {
                    var framed = new byte[2 + response.Length];
                    BinaryPrimitives.WriteUInt16BigEndian(framed, (ushort)response.Length);
                    response.CopyTo(framed, 2);
                    await client.SendAsync(framed, SocketFlags.None, _stop.Token);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _udp.Dispose();
        _replyFrom?.Dispose();
        _tcp.Stop();
        await Task.WhenAll(_udpLoop, _tcpLoop).WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
