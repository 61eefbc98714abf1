using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using SecureAoai.Client.Networking.Internal.Dns;

namespace SecureAoai.Client.Tests.Networking.Dns;

/// <summary>
/// A DNS server on 127.0.0.1 (UDP and TCP on one port) whose answers a test scripts: for each query the handler
/// returns the datagrams to send back (none for silence, several for spoofed-then-real). Over TCP the first is sent.
/// </summary>
internal sealed class ScriptedDnsServer : IAsyncDisposable
{
    private const int MaxBindAttempts = 10;

    private readonly Func<ushort, DnsQuestion, bool, IEnumerable<byte[]>> _handler;
    private readonly Socket _udp;
    private readonly TcpListener _tcp;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _udpLoop;
    private readonly Task _tcpLoop;
    private int _udpQueries;
    private int _tcpQueries;

    private ScriptedDnsServer(Socket udp, TcpListener tcp, Func<ushort, DnsQuestion, bool, IEnumerable<byte[]>> handler)
    {
        _udp = udp;
        _tcp = tcp;
        _handler = handler;
        EndPoint = (IPEndPoint)udp.LocalEndPoint!;
        _udpLoop = Task.Run(ServeUdpAsync);
        _tcpLoop = Task.Run(ServeTcpAsync);
    }

    public IPEndPoint EndPoint { get; }

    public int UdpQueries => Volatile.Read(ref _udpQueries);

    public int TcpQueries => Volatile.Read(ref _tcpQueries);

    /// <summary>Starts a server; <paramref name="handler"/> gets (id, question, overTcp) and returns the messages to send.</summary>
    public static ScriptedDnsServer Start(Func<ushort, DnsQuestion, bool, IEnumerable<byte[]>> handler)
    {
        for (var attempt = 1; ; attempt++)
        {
            var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            var tcp = new TcpListener(IPAddress.Loopback, ((IPEndPoint)udp.LocalEndPoint!).Port);
            try
            {
                tcp.Start();
                return new ScriptedDnsServer(udp, tcp, handler);
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
                await _udp.SendToAsync(response, SocketFlags.None, received.RemoteEndPoint);
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
        _tcp.Stop();
        await Task.WhenAll(_udpLoop, _tcpLoop).WaitAsync(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}
