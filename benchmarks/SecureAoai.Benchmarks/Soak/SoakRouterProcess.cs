using System.Globalization;
using System.Net;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Benchmarks.Soak;

/// <summary>
/// The soak's router, alone in a child process so its memory is its own: it serves the overlay in the
/// given folder on a loopback port, prints <c>PORT n</c>, and answers lines on standard input:
/// <c>RESET</c> starts a new measurement, <c>STATS</c> prints the peaks since then. Ends when input closes.
/// </summary>
internal static class SoakRouterProcess
{
    public const string Command = "soak-router";

    private static readonly TimeSpan SampleInterval = TimeSpan.FromMilliseconds(20);

    public static async Task<int> RunAsync(string directory)
    {
        using var controller = OverlayController.Open(directory);
        using var certificate = controller.IssueEmbeddedRouterCertificate("router", [], "127.0.0.1");
        using var authority = new ControllerAuthority(controller, "router");
        await using var router = new OverlayRouter(authority, certificate);
        router.Start(new IPEndPoint(IPAddress.Loopback, 0));
        Console.WriteLine($"PORT {router.LocalEndPoint.Port}");

        var peaks = new Peaks();
        using var stop = new CancellationTokenSource();
        var sampler = SampleAsync(peaks, stop.Token);
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line == "RESET")
            {
                peaks.Reset();
            }
            else if (line == "STATS")
            {
                var (workingSet, heap) = peaks.Read();
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"STATS {workingSet} {heap}"));
            }
        }

        await stop.CancelAsync();
        await sampler;
        return 0;
    }

    private static async Task SampleAsync(Peaks peaks, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(SampleInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                peaks.Sample();
            }
        }
        catch (OperationCanceledException)
        {
            // The soak is over.
        }
    }

    /// <summary>The largest working set and managed heap seen since the last reset.</summary>
    private sealed class Peaks
    {
        private readonly Lock _sync = new();
        private long _workingSet;
        private long _heap;

        public void Reset()
        {
            lock (_sync)
            {
                _workingSet = Environment.WorkingSet;
                _heap = GC.GetTotalMemory(forceFullCollection: false);
            }
        }

        public void Sample()
        {
            var workingSet = Environment.WorkingSet;
            var heap = GC.GetTotalMemory(forceFullCollection: false);
            lock (_sync)
            {
                _workingSet = Math.Max(_workingSet, workingSet);
                _heap = Math.Max(_heap, heap);
            }
        }

        public (long WorkingSet, long Heap) Read()
        {
            Sample();
            lock (_sync)
            {
                return (_workingSet, _heap);
            }
        }
    }
}
