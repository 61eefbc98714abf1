using System.Diagnostics;
using System.Text.Json.Nodes;

namespace SecureAoai.Benchmarks.Modes;

/// <summary>
/// <c>latency [--count 5000] [--dials 300] [--requests 2000] [--max-seconds 150] [--json FILE]</c>: p50,
/// p90 and p99 of single operations, from measured distributions, for every transport in one run:
/// round trips of 64 B and 4 KiB, connects and dials, and one HTTP GET, each with the process CPU time
/// it costs and its ratios against direct TLS and the TLS relay. Transports take turns in ten rounds.
/// </summary>
internal static class LatencyMode
{
    public const string Command = "latency";

    private const int Rounds = 10;

    public static async Task<int> RunAsync(string[] args)
    {
        var count = Arguments.Number(args, "--count", 5000);
        var dials = Arguments.Number(args, "--dials", 300);
        var requests = Arguments.Number(args, "--requests", 2000);
        var deadline = TimeSpan.FromSeconds(Arguments.Number(args, "--max-seconds", 150));
        var results = ResultsFile.Open(args);
        var section = new JsonObject();
        var clock = Stopwatch.StartNew();

        await using (var rig = await TransportRig.StartAsync())
        {
            foreach (var bytes in new[] { 64, 4096 })
            {
                var measured = await RoundTripsAsync(rig, bytes, count, clock, deadline);
                section[$"roundTrip{bytes}"] = new JsonArray([.. measured.Select(d => d.ToJson())]);
                Ratios(results, $"RTT {bytes} B", measured, "overlay", p50Target: 1.25, p99Target: 1.5);
                Ratios(results, $"RTT {bytes} B", measured, "sealed relay", p50Target: null, p99Target: null);
            }

            var connects = await ConnectsAsync(rig, dials, clock, deadline);
            section["connect"] = new JsonArray([.. connects.Select(d => d.ToJson())]);
            var overlayDial = connects.Single(d => d.Name == "overlay dial");
            results.Ratio("dial p50, overlay ÷ fresh TLS connect", overlayDial.Percentile(0.5) / connects[0].Percentile(0.5), 0.5);
            results.Ratio("dial p50, overlay ÷ fresh TLS relay connect", overlayDial.Percentile(0.5) / connects[1].Percentile(0.5), null);
            results.Ratio("dial CPU, overlay ÷ fresh TLS connect", overlayDial.CpuMicrosPerOperation / connects[0].CpuMicrosPerOperation, null);
        }

        var http = await HttpAsync(requests, clock, deadline);
        section["http"] = new JsonArray([.. http.Select(d => d.ToJson())]);
        results.Ratio("HTTP p50, overlay ÷ TLS relay", http[2].Percentile(0.5) / http[1].Percentile(0.5), 1.5);
        results.Ratio("HTTP p50, overlay ÷ TCP", http[2].Percentile(0.5) / http[0].Percentile(0.5), null);

        section["seconds"] = Math.Round(clock.Elapsed.TotalSeconds, 1);
        results.Section(Command, section);
        results.Save();
        Console.WriteLine($"latency mode took {clock.Elapsed.TotalSeconds:0} s.");
        return 0;
    }

    private static async Task<List<Distribution>> RoundTripsAsync(TransportRig rig, int bytes, int count, Stopwatch clock, TimeSpan deadline)
    {
        var transports = new (string Name, Func<Task<Stream>> Open)[]
        {
            ("TCP", rig.ConnectTcpAsync),
            ("TLS", rig.ConnectTlsAsync),
            ("TLS relay", rig.ConnectTlsRelayAsync),
            ("sealed relay", rig.ConnectSealedRelayAsync),
            ("overlay", rig.DialOverlayAsync),
        };
        var message = new byte[bytes];
        var reply = new byte[bytes];
        var streams = new List<Stream>();
        try
        {
            var operations = new List<(Distribution, Func<Task>)>();
            foreach (var (name, open) in transports)
            {
                var stream = await open();
                streams.Add(stream);
                for (var i = 0; i < 200; i++)
                {
                    await RoundTrip.RunAsync(stream, message, reply);
                }

                operations.Add((new Distribution(name), () => RoundTrip.RunAsync(stream, message, reply)));
            }

            await Distribution.MeasureAsync(operations, count, Rounds, clock, deadline);
            var measured = operations.Select(o => o.Item1).ToList();
            Distribution.Print($"Round trip, {bytes} B (each measured alone)", measured, measured[1], measured[2]);
            return measured;
        }
        finally
        {
            foreach (var stream in streams)
            {
                await stream.DisposeAsync();
            }
        }
    }

    private static async Task<List<Distribution>> ConnectsAsync(TransportRig rig, int dials, Stopwatch clock, TimeSpan deadline)
    {
        var operations = new List<(Distribution, Func<Task>)>
        {
            (new Distribution("fresh TLS connect"), async () => await (await rig.ConnectTlsAsync()).DisposeAsync()),
            (new Distribution("fresh TLS relay connect"), async () => await (await rig.ConnectTlsRelayAsync()).DisposeAsync()),
            (new Distribution("overlay dial"), async () => await (await rig.DialOverlayAsync()).DisposeAsync()),
        };
        foreach (var (_, operation) in operations)
        {
            for (var i = 0; i < 20; i++)
            {
                await operation();
            }
        }

        await Distribution.MeasureAsync(operations, dials, Rounds, clock, deadline);
        var measured = operations.Select(o => o.Item1).ToList();
        Distribution.Print("Connect or dial (connection set up, then closed)", measured, measured[0], measured[1]);
        return measured;
    }

    private static async Task<List<Distribution>> HttpAsync(int requests, Stopwatch clock, TimeSpan deadline)
    {
        var benchmarks = new HttpBenchmarks();
        benchmarks.Setup();
        try
        {
            var operations = new List<(Distribution, Func<Task>)>
            {
                (new Distribution("Kestrel over TCP"), benchmarks.Tcp),
                (new Distribution("Kestrel over the TLS relay"), benchmarks.ViaTlsRelay),
                (new Distribution("Kestrel over UseOverlay"), benchmarks.Overlay),
            };
            foreach (var (_, operation) in operations)
            {
                for (var i = 0; i < 100; i++)
                {
                    await operation();
                }
            }

            await Distribution.MeasureAsync(operations, requests, Rounds, clock, deadline);
            var measured = operations.Select(o => o.Item1).ToList();
            Distribution.Print("HTTP GET on a kept-alive connection", measured, measured[0], measured[1]);
            return measured;
        }
        finally
        {
            benchmarks.Cleanup();
        }
    }

    private static void Ratios(ResultsFile results, string what, List<Distribution> measured, string name, double? p50Target, double? p99Target)
    {
        var d = measured.Single(m => m.Name == name);
        var relay = measured.Single(m => m.Name == "TLS relay");
        var tls = measured.Single(m => m.Name == "TLS");
        results.Ratio($"{what} p50, {name} ÷ TLS relay", d.Percentile(0.5) / relay.Percentile(0.5), p50Target);
        results.Ratio($"{what} p99, {name} ÷ TLS relay", d.Percentile(0.99) / relay.Percentile(0.99), p99Target);
        results.Ratio($"{what} p50, {name} ÷ TLS", d.Percentile(0.5) / tls.Percentile(0.5), null);
        results.Ratio($"{what} p99, {name} ÷ TLS", d.Percentile(0.99) / tls.Percentile(0.99), null);
    }
}
