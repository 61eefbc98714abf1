using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text.Json.Nodes;

namespace SecureAoai.Benchmarks.Modes;

/// <summary>
/// <c>allocations [--mib 64] [--round-trips 20000] [--json FILE]</c>: managed bytes allocated in this
/// process (every party: client, relay or router, server) per unit of work, in steady state, for each
/// transport. A count, not a timing, so it holds on a busy machine. Bulk: <c>--mib</c> MiB written in
/// 64 KiB writes on one stream and echoed back, reported per 16 KiB of payload carried one way across
/// the whole path (one sealed record's worth); round trips: 64 B each. For the overlay it also prints
/// which types were allocated, from the runtime's allocation sampling (one event per ~100 KB).
/// </summary>
internal static class AllocationMode
{
    public const string Command = "allocations";

    private const int WriteBytes = 64 * 1024;
    private const int RecordBytes = 16 * 1024;

    public static async Task<int> RunAsync(string[] args)
    {
        var mib = Arguments.Number(args, "--mib", 64);
        var roundTrips = Arguments.Number(args, "--round-trips", 20_000);
        var results = ResultsFile.Open(args);
        var section = new JsonObject();
        await using var rig = await TransportRig.StartAsync();
        var transports = new (string Name, Func<Task<Stream>> Open)[]
        {
            ("TLS", rig.ConnectTlsAsync),
            ("TLS relay", rig.ConnectTlsRelayAsync),
            ("sealed relay", rig.ConnectSealedRelayAsync),
            ("overlay", rig.DialOverlayAsync),
        };
        Console.WriteLine($"| transport | bytes per 16 KiB carried one way ({mib} MiB echoed) | bytes per 64 B round trip |");
        Console.WriteLine("|---|---|---|");
        foreach (var (name, open) in transports)
        {
            await using var stream = await open();
            await EchoAsync(stream, 8L << 20);
            var start = GC.GetTotalAllocatedBytes(precise: true);
            await EchoAsync(stream, (long)mib << 20);
            var perRecord = (GC.GetTotalAllocatedBytes(precise: true) - start) / (2.0 * ((long)mib << 20) / RecordBytes);

            // Sampled in a transfer of its own: the listener's events allocate too.
            IReadOnlyList<(string Type, long Bytes)>? topTypes = null;
            if (name == "overlay")
            {
                using var sampler = new AllocationSampler();
                await EchoAsync(stream, (long)mib << 20);
                topTypes = sampler.Top(12);
            }

            var message = new byte[64];
            var reply = new byte[64];
            for (var i = 0; i < 1000; i++)
            {
                await RoundTrip.RunAsync(stream, message, reply);
            }

            start = GC.GetTotalAllocatedBytes(precise: true);
            for (var i = 0; i < roundTrips; i++)
            {
                await RoundTrip.RunAsync(stream, message, reply);
            }

            var perRoundTrip = (GC.GetTotalAllocatedBytes(precise: true) - start) / (double)roundTrips;
            IReadOnlyList<(string Type, long Bytes)>? roundTripTypes = null;
            if (name == "overlay")
            {
                using var sampler = new AllocationSampler();
                for (var i = 0; i < roundTrips; i++)
                {
                    await RoundTrip.RunAsync(stream, message, reply);
                }

                roundTripTypes = sampler.Top(12);
            }

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {perRecord:0} | {perRoundTrip:0} |"));
            section[name] = new JsonObject { ["bytesPer16KiB"] = Math.Round(perRecord, 1), ["bytesPerRoundTrip64B"] = Math.Round(perRoundTrip, 1) };
            if (name == "overlay")
            {
                results.Ratio("bulk, overlay bytes allocated per 16 KiB record", perRecord, 64);
                results.Ratio("round trip, overlay bytes allocated per 64 B round trip", perRoundTrip, null);
                Console.WriteLine();
                Console.WriteLine("Overlay bulk transfer, sampled allocations by type:");
                Print(topTypes!);
                Console.WriteLine($"Overlay round trips ({roundTrips} of 64 B), sampled allocations by type:");
                Print(roundTripTypes!);
            }
        }

        results.Section(Command, section);
        results.Save();
        return 0;
    }

    private static void Print(IReadOnlyList<(string Type, long Bytes)> types)
    {
        foreach (var (type, bytes) in types)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {bytes / 1024.0,10:0} KiB  {type}"));
        }
    }

    /// <summary>Writes <paramref name="total"/> bytes in 64 KiB writes while reading the echo back.</summary>
    private static async Task EchoAsync(Stream stream, long total)
    {
        var chunk = new byte[WriteBytes];
        var reading = Task.Run(async () =>
        {
            var buffer = new byte[WriteBytes];
            long received = 0;
            while (received < total)
            {
                var read = await stream.ReadAsync(buffer);
                received += read > 0 ? read : throw new IOException("the echo ended early");
            }
        });
        for (long sent = 0; sent < total; sent += WriteBytes)
        {
            await stream.WriteAsync(chunk);
        }

        await stream.FlushAsync();
        await reading;
    }

    /// <summary>Sums the runtime's allocation-tick events (about one per 100 KB allocated) by type.</summary>
    private sealed class AllocationSampler : EventListener
    {
        private const EventKeywords GcKeyword = (EventKeywords)0x1;
        private readonly Dictionary<string, long> _bytes = [];
        private readonly Lock _sync = new();

        public IReadOnlyList<(string Type, long Bytes)> Top(int count)
        {
            lock (_sync)
            {
                return [.. _bytes.OrderByDescending(p => p.Value).Take(count).Select(p => (p.Key, p.Value))];
            }
        }

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            {
                EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            if (eventData.EventName is not { } name || !name.StartsWith("GCAllocationTick", StringComparison.Ordinal) || eventData.PayloadNames is null)
            {
                return;
            }

            var type = eventData.Payload![eventData.PayloadNames.IndexOf("TypeName")] as string ?? "?";
            var amountAt = eventData.PayloadNames.IndexOf("AllocationAmount64");
            var amount = amountAt >= 0 ? Convert.ToInt64(eventData.Payload[amountAt], CultureInfo.InvariantCulture) : 100_000;
            lock (_sync)
            {
                _bytes[type] = _bytes.GetValueOrDefault(type) + amount;
            }
        }
    }
}
