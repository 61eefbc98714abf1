using BenchmarkDotNet.Attributes;

namespace SecureAoai.Benchmarks;

/// <summary>
/// Connection or dial set-up: a fresh TCP+TLS connect is the baseline; a fresh connect through the TLS
/// relay (which connects upstream before it answers) is the relayed floor; the overlay dial runs on a
/// live router session.
/// </summary>
public class DialBenchmarks
{
    private TransportRig _rig = null!;

    // Synchronous wrappers: the in-process toolchain of --quick does not await async setup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync() => _rig = await TransportRig.StartAsync();

    [GlobalCleanup]
    public void Cleanup() => _rig.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "fresh TLS connect")]
    public async Task TlsConnect() => await (await _rig.ConnectTlsAsync()).DisposeAsync();

    [Benchmark(Description = "fresh TCP connect")]
    public async Task TcpConnect() => await (await _rig.ConnectTcpAsync()).DisposeAsync();

    [Benchmark(Description = "fresh connect through the TLS relay")]
    public async Task TlsRelayConnect() => await (await _rig.ConnectTlsRelayAsync()).DisposeAsync();

    [Benchmark(Description = "overlay dial (live session, E2E handshake)")]
    public async Task OverlayDial() => await (await _rig.DialOverlayAsync()).DisposeAsync();
}

/// <summary>
/// Request/response round trip on an open connection: write N bytes, read N back. TLS is the baseline;
/// the TLS relay and the sealed relay are the floors a relayed, end-to-end sealed path is measured against.
/// </summary>
public class RoundTripBenchmarks
{
    private TransportRig _rig = null!;
    private Stream _tcp = null!;
    private Stream _tls = null!;
    private Stream _tlsRelay = null!;
    private Stream _sealedRelay = null!;
    private Stream _overlay = null!;
    private byte[] _message = null!;
    private byte[] _reply = null!;

    [Params(64, 4096)]
    public int Bytes { get; set; }

    // Synchronous wrappers: the in-process toolchain of --quick does not await async setup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _rig = await TransportRig.StartAsync();
        _tcp = await _rig.ConnectTcpAsync();
        _tls = await _rig.ConnectTlsAsync();
        _tlsRelay = await _rig.ConnectTlsRelayAsync();
        _sealedRelay = await _rig.ConnectSealedRelayAsync();
        _overlay = await _rig.DialOverlayAsync();
        _message = new byte[Bytes];
        _reply = new byte[Bytes];
    }

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        await _tcp.DisposeAsync();
        await _tls.DisposeAsync();
        await _tlsRelay.DisposeAsync();
        await _sealedRelay.DisposeAsync();
        await _overlay.DisposeAsync();
        await _rig.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "TLS")]
    public Task Tls() => RoundTripAsync(_tls);

    [Benchmark(Description = "TCP")]
    public Task Tcp() => RoundTripAsync(_tcp);

    [Benchmark(Description = "TLS relay")]
    public Task ViaTlsRelay() => RoundTripAsync(_tlsRelay);

    [Benchmark(Description = "sealed relay")]
    public Task ViaSealedRelay() => RoundTripAsync(_sealedRelay);

    [Benchmark(Description = "overlay")]
    public Task Overlay() => RoundTripAsync(_overlay);

    private Task RoundTripAsync(Stream stream) => RoundTrip.RunAsync(stream, _message, _reply);
}

/// <summary>
/// Bulk transfer with 64 KiB writes: 16 MiB in all, split across the streams, each echoed back.
/// One stream, then 16 and 256 at once (TCP, TLS and the relays: as many connections; overlay: streams
/// on one session). Every variant opens its connections or streams once, in its own GlobalSetup, and
/// the timed operation only moves bytes over them: no TLS handshake (two through a relay) and no dial
/// is inside it, so connection set-up is measured by <see cref="DialBenchmarks"/> alone. Each operation
/// reads back exactly what it wrote, so the connections are idle and in step between operations.
/// Quick mode moves 4 MiB and runs 1, 16 and 64 streams, so it stays under 3 minutes.
/// </summary>
public class ThroughputBenchmarks
{
    private const int FullTotalBytes = 16 * 1024 * 1024;
    private const int QuickTotalBytes = 4 * 1024 * 1024;
    private const int WriteBytes = 64 * 1024;
    private TransportRig _rig = null!;
    private readonly byte[] _chunk = new byte[WriteBytes];
    private Stream[] _streams = [];
    private byte[][] _readBuffers = [];

    [ParamsSource(nameof(StreamCounts))]
    public int Streams { get; set; }

    /// <summary>The stream counts: the 1, 16 and 256, or 1, 16 and 64 in quick mode.</summary>
    public static IEnumerable<int> StreamCounts => BenchmarkScale.Quick ? [1, 16, 64] : [1, 16, 256];

    private static int TotalBytes => BenchmarkScale.Quick ? QuickTotalBytes : FullTotalBytes;

    // Synchronous wrappers: the in-process toolchain of --quick does not await async setup.
    // One GlobalSetup per variant, so each opens only its own connections.
    [GlobalSetup(Target = nameof(Tls))]
    public void SetupTls() => Open(rig => rig.ConnectTlsAsync);

    [GlobalSetup(Target = nameof(Tcp))]
    public void SetupTcp() => Open(rig => rig.ConnectTcpAsync);

    [GlobalSetup(Target = nameof(ViaTlsRelay))]
    public void SetupTlsRelay() => Open(rig => rig.ConnectTlsRelayAsync);

    [GlobalSetup(Target = nameof(ViaSealedRelay))]
    public void SetupSealedRelay() => Open(rig => rig.ConnectSealedRelayAsync);

    [GlobalSetup(Target = nameof(Overlay))]
    public void SetupOverlay() => Open(rig => rig.DialOverlayAsync);

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "TLS")]
    public Task Tls() => RunAsync();

    [Benchmark(Description = "TCP")]
    public Task Tcp() => RunAsync();

    [Benchmark(Description = "TLS relay")]
    public Task ViaTlsRelay() => RunAsync();

    [Benchmark(Description = "sealed relay")]
    public Task ViaSealedRelay() => RunAsync();

    [Benchmark(Description = "overlay")]
    public Task Overlay() => RunAsync();

    private int PerStreamBytes => Math.Max(WriteBytes, TotalBytes / Streams);

    private void Open(Func<TransportRig, Func<Task<Stream>>> open) => OpenAsync(open).GetAwaiter().GetResult();

    private async Task OpenAsync(Func<TransportRig, Func<Task<Stream>>> open)
    {
        _rig = await TransportRig.StartAsync();
        var connect = open(_rig);
        _streams = new Stream[Streams];
        _readBuffers = new byte[Streams][];
        for (var i = 0; i < Streams; i++)
        {
            _streams[i] = await connect();
            _readBuffers[i] = new byte[WriteBytes];
        }
    }

    private async Task CleanupAsync()
    {
        foreach (var stream in _streams)
        {
            await stream.DisposeAsync();
        }

        await _rig.DisposeAsync();
    }

    private Task RunAsync() => Task.WhenAll(Enumerable.Range(0, Streams).Select(TransferAsync));

    private async Task TransferAsync(int index)
    {
        var stream = _streams[index];
        var buffer = _readBuffers[index];
        var reading = Task.Run(async () =>
        {
            var total = 0;
            while (total < PerStreamBytes)
            {
                var read = await stream.ReadAsync(buffer.AsMemory(0, Math.Min(buffer.Length, PerStreamBytes - total)));
                if (read == 0)
                {
                    throw new IOException("the echo ended early");
                }

                total += read;
            }
        });
        for (var sent = 0; sent < PerStreamBytes; sent += WriteBytes)
        {
            await stream.WriteAsync(_chunk);
        }

        await stream.FlushAsync();
        await reading;
    }
}

/// <summary>One request/response exchange, shared by the benchmarks and the latency mode.</summary>
internal static class RoundTrip
{
    public static async Task RunAsync(Stream stream, byte[] message, byte[] reply)
    {
        await stream.WriteAsync(message);
        await stream.FlushAsync();
        await stream.ReadExactlyAsync(reply);
    }
}
