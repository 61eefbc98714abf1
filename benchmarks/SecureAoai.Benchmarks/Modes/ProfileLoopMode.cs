using System.Diagnostics;

namespace SecureAoai.Benchmarks.Modes;

/// <summary>
/// <c>profile-loop dial|rtt64|rtt4096|http [--transport overlay|tls-relay|tls] [--seconds 20]</c>: one
/// operation in a loop on one transport, for a CPU profiler to sample (for example
/// <c>dotnet-trace collect -- dotnet SecureAoai.Benchmarks.dll profile-loop dial</c>). It prints how many
/// operations it ran and their mean; it measures nothing else (the benchmarks and the latency mode do).
/// </summary>
internal static class ProfileLoopMode
{
    public const string Command = "profile-loop";

    /// <summary>Operations run before the loop, so the profile holds the steady state, not the first calls.</summary>
    private const int WarmUpOperations = 50;

    /// <summary>How long the loop runs when <c>--seconds</c> is not given.</summary>
    private const int DefaultSeconds = 20;

    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is not ("dial" or "rtt64" or "rtt4096" or "http" or "client-chain" or "client-raw"))
        {
            Console.Error.WriteLine("usage: profile-loop dial|rtt64|rtt4096|http [--transport overlay|tls-relay|tls] [--seconds 20]");
            Console.Error.WriteLine("       profile-loop client-chain|client-raw [--seconds 20]: ClientChainBenchmarks' secured or raw call, no network");
            return 2;
        }

        var seconds = Arguments.Number(args, "--seconds", DefaultSeconds);
        if (args[0] is "client-chain" or "client-raw")
        {
            var chain = new ClientChainBenchmarks();
            chain.Setup();
            try
            {
                return await LoopAsync(args[0], "no network", args[0] == "client-raw" ? chain.Raw : chain.Secured, seconds);
            }
            finally
            {
                chain.Cleanup();
            }
        }

        var transport = Arguments.Text(args, "--transport") ?? "overlay";
        await using var rig = await TransportRig.StartAsync();
        var (operation, cleanup) = await OperationAsync(rig, args[0], transport);
        try
        {
            return await LoopAsync(args[0], transport, operation, seconds);
        }
        finally
        {
            await cleanup();
        }
    }

    private static async Task<int> LoopAsync(string what, string transport, Func<Task> operation, int seconds)
    {
        for (var i = 0; i < WarmUpOperations; i++)
        {
            await operation();
        }

        var clock = Stopwatch.StartNew();
        var count = 0;
        while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            await operation();
            count++;
        }

        Console.WriteLine($"{what} over {transport}: {count} operations in {clock.Elapsed.TotalSeconds:0.0} s, mean {clock.Elapsed.TotalMicroseconds / count:0} us.");
        return 0;
    }

    private static async Task<(Func<Task> Operation, Func<Task> Cleanup)> OperationAsync(TransportRig rig, string what, string transport)
    {
        Func<Task<Stream>> open = transport switch
        {
            "overlay" => rig.DialOverlayAsync,
            "tls-relay" => rig.ConnectTlsRelayAsync,
            "tls" => rig.ConnectTlsAsync,
            _ => throw new ArgumentException($"Unknown transport '{transport}': use overlay, tls-relay or tls."),
        };
        switch (what)
        {
            case "dial":
                return (async () => await (await open()).DisposeAsync(), () => Task.CompletedTask);
            case "http":
                var http = new HttpBenchmarks();
                http.Setup();
                Func<Task> get = transport switch
                {
                    "overlay" => http.Overlay,
                    "tls-relay" => http.ViaTlsRelay,
                    _ => http.Tcp,
                };
                return (get, () => { http.Cleanup(); return Task.CompletedTask; });
            default:
                var bytes = what == "rtt64" ? 64 : 4096;
                var stream = await open();
                var message = new byte[bytes];
                var reply = new byte[bytes];
                return (() => RoundTrip.RunAsync(stream, message, reply), async () => await stream.DisposeAsync());
        }
    }
}
