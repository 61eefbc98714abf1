using BenchmarkDotNet.Attributes;

namespace SecureAoai.Benchmarks;

/// <summary>Connection or dial set-up: a fresh TCP+TLS connect is the baseline; the overlay dial runs on a live router session.</summary>
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

    [Benchmark(Description = "overlay dial (live session, E2E handshake)")]
    public async Task OverlayDial() => await (await _rig.DialOverlayAsync()).DisposeAsync();
}

/// <summary>Request/response round trip on an open connection: write N bytes, read N back. TLS is the baseline.</summary>
public class RoundTripBenchmarks
{
    private TransportRig _rig = null!;
    private Stream _tcp = null!;
    private Stream _tls = null!;
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
        await _overlay.DisposeAsync();
        await _rig.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "TLS")]
    public Task Tls() => RoundTripAsync(_tls);

    [Benchmark(Description = "TCP")]
    public Task Tcp() => RoundTripAsync(_tcp);

    [Benchmark(Description = "overlay")]
    public Task Overlay() => RoundTripAsync(_overlay);

    private async Task RoundTripAsync(Stream stream)
    {
        await stream.WriteAsync(_message);
        await stream.FlushAsync();
        await stream.ReadExactlyAsync(_reply);
    }
}

/// <summary>
/// Bulk transfer with 64 KiB writes: 16 MiB in all, split across the streams, each echoed back.
/// One stream, then 16 and 256 at once (TCP and TLS: as many connections; overlay: streams on one session).
/// </summary>
public class ThroughputBenchmarks
{
    private const int TotalBytes = 16 * 1024 * 1024;
    private const int WriteBytes = 64 * 1024;
    private TransportRig _rig = null!;
    private readonly byte[] _chunk = new byte[WriteBytes];

    [Params(1, 16, 256)]
    public int Streams { get; set; }

    // Synchronous wrappers: the in-process toolchain of --quick does not await async setup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync() => _rig = await TransportRig.StartAsync();

    [GlobalCleanup]
    public void Cleanup() => _rig.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "TLS")]
    public Task Tls() => RunAsync(_rig.ConnectTlsAsync);

    [Benchmark(Description = "TCP")]
    public Task Tcp() => RunAsync(_rig.ConnectTcpAsync);

    [Benchmark(Description = "overlay")]
    public Task Overlay() => RunAsync(_rig.DialOverlayAsync);

    private int PerStreamBytes => Math.Max(WriteBytes, TotalBytes / Streams);

    private Task RunAsync(Func<Task<Stream>> open) =>
        Task.WhenAll(Enumerable.Range(0, Streams).Select(_ => TransferAsync(open)));

    private async Task TransferAsync(Func<Task<Stream>> open)
    {
        await using var stream = await open();
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[WriteBytes];
            var total = 0;
            while (total < PerStreamBytes)
            {
                var read = await stream.ReadAsync(buffer);
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

        await reading;
    }
}
