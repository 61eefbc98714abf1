using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Protocol;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Benchmarks.Modes;

/// <summary>
/// <c>idle-streams [--streams 10000] [--json FILE]</c>: what an open, idle overlay stream costs. One
/// dialer opens that many streams to one binder over its one session; the binder accepts them all,
/// and both ends keep a read pending on each (as an app waiting for its next message does, with one
/// shared buffer, so the app's own buffers do not count). The dialer, the router and the binder all
/// run in this process, so the figure per stream is the whole path: both ends and the router.
/// Measured after a full collection: the managed heap (<see cref="GC.GetTotalMemory(bool)"/>) and the
/// process working set (which adds native memory, such as each end's AES-GCM contexts), then again
/// once every stream is closed.
/// </summary>
internal static class IdleStreamsMode
{
    public const string Command = "idle-streams";

    private const int DialConcurrency = 32;

    /// <summary>Dials opened and closed before the baseline, to warm up the JIT, pools and caches.</summary>
    private const int WarmUpDials = 32;

    /// <summary>Room above the measured streams in each session's limits, for streams still closing after the warm-up.</summary>
    private const int SpareStreams = WarmUpDials + 16;
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

    public static async Task<int> RunAsync(string[] args)
    {
        var count = Arguments.Number(args, "--streams", 10_000);
        var results = ResultsFile.Open(args);
        var clock = Stopwatch.StartNew();
        await using var rig = await TransportRig.StartAsync();

        // The defaults allow 1,024 streams per session; this measurement needs a session with more.
        var mux = new MuxOptions { MaxStreamsPerSession = count + SpareStreams, MaxPendingAccepts = count + SpareStreams };
        using var certificate = rig.Overlay.Controller.IssueEmbeddedRouterCertificate("idle-streams-router", [], "127.0.0.1");
        using var authority = new ControllerAuthority(rig.Overlay.Controller, "idle-streams-router");
        await using var router = new OverlayRouter(authority, certificate, new OverlayRouterOptions { Mux = mux });
        router.Start(new IPEndPoint(IPAddress.Loopback, 0));
        var options = new OverlayContextOptions { RouterAddress = $"127.0.0.1:{router.LocalEndPoint.Port}", Mux = mux, MaxPendingAccepts = count + SpareStreams };
        await using var dialer = OverlayContext.Create(rig.DialerIdentity, options);
        await using var binder = OverlayContext.Create(rig.BinderIdentity, options);
        await using var listener = await binder.BindAsync("echo");

        using var stop = new CancellationTokenSource(Timeout);

        // Warm up, closing both ends of each warm-up stream: kept open at the binder (as the accept
        // loop below keeps its streams), they would count against the session's limits and the
        // measured streams.
        for (var i = 0; i < WarmUpDials; i++)
        {
            var serving = listener.AcceptAsync(stop.Token).AsTask();
            await using var warm = await dialer.DialAsync("echo", stop.Token);
            await using var served = await serving;
        }

        var shared = new byte[1024];
        var accepted = new List<(OverlayStream Stream, Task<int> Read)>();
        var before = Snapshot.Take();
        var accepting = Task.Run(async () =>
        {
            while (accepted.Count < count)
            {
                var stream = await listener.AcceptAsync(stop.Token)
                    ?? throw new InvalidOperationException("The echo binding ended before every stream was accepted.");
                accepted.Add((stream, stream.ReadAsync(shared, stop.Token).AsTask()));
            }
        });
        var dialed = new (OverlayStream Stream, Task<int> Read)[count];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, DialConcurrency).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < count)
            {
                var stream = await dialer.DialAsync("echo", stop.Token);
                dialed[i] = (stream, stream.ReadAsync(shared, stop.Token).AsTask());
            }
        })));
        await accepting.WaitAsync(stop.Token);
        var open = Snapshot.Take();

        foreach (var (stream, _) in dialed)
        {
            await stream.DisposeAsync();
        }

        foreach (var (stream, read) in accepted)
        {
            await read.WaitAsync(stop.Token);
            await stream.DisposeAsync();
        }

        await Task.WhenAll(dialed.Select(d => d.Read)).WaitAsync(stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        var closed = Snapshot.Take();

        var heapPerStream = (open.HeapBytes - before.HeapBytes) / (double)count;
        var workingSetPerStream = (open.WorkingSetBytes - before.WorkingSetBytes) / (double)count;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"""

            {count} idle streams on one session (dialer, router and binder in this process; a read pending at both ends)
            | measure | before | open | per stream | after closing |
            |---|---|---|---|---|
            | managed heap | {Mib(before.HeapBytes)} | {Mib(open.HeapBytes)} | {heapPerStream / 1024:0.00} KiB | {Mib(closed.HeapBytes)} |
            | working set | {Mib(before.WorkingSetBytes)} | {Mib(open.WorkingSetBytes)} | {workingSetPerStream / 1024:0.00} KiB | {Mib(closed.WorkingSetBytes)} |
            took {clock.Elapsed.TotalSeconds:0} s
            """));
        results.Section(Command, new JsonObject
        {
            ["streams"] = count,
            ["heapBytesPerStream"] = Math.Round(heapPerStream),
            ["workingSetBytesPerStream"] = Math.Round(workingSetPerStream),
            ["heapBytesBefore"] = before.HeapBytes,
            ["heapBytesOpen"] = open.HeapBytes,
            ["heapBytesAfterClosing"] = closed.HeapBytes,
            ["workingSetBytesBefore"] = before.WorkingSetBytes,
            ["workingSetBytesOpen"] = open.WorkingSetBytes,
            ["workingSetBytesAfterClosing"] = closed.WorkingSetBytes,
        });
        results.Ratio("idle stream, managed KiB per stream (whole path)", heapPerStream / 1024, 16);
        results.Ratio("idle stream, working-set KiB per stream (whole path)", workingSetPerStream / 1024, 16);
        results.Save();
        return 0;
    }

    private static string Mib(long bytes) => string.Create(CultureInfo.InvariantCulture, $"{bytes / 1048576.0:0.0} MiB");

    private readonly record struct Snapshot(long HeapBytes, long WorkingSetBytes)
    {
        public static Snapshot Take()
        {
            for (var i = 0; i < 3; i++)
            {
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
                GC.WaitForPendingFinalizers();
            }

            return new Snapshot(GC.GetTotalMemory(forceFullCollection: true), Environment.WorkingSet);
        }
    }
}
