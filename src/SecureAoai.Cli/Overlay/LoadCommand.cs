using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Cli.Overlay;

/// <summary>
/// <c>secureaoai load</c>: N concurrent streams to an echoing service for T seconds, each sending a
/// message and reading it back in a loop; prints requests per second, throughput, p50/p99 round
/// trip and errors. The base for reliability runs.
/// </summary>
internal static class LoadCommand
{
    /// <summary>The most round-trip samples kept for percentiles; later ones are sampled.</summary>
    internal const int MaxSamples = 1_000_000;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var identity = new Option<string>("--identity") { Description = "The identity file to dial as", Required = true };
        var service = new Option<string>("--service") { Description = "An echoing service (see 'secureaoai host --echo')", Required = true };
        var streams = new Option<int>("--streams") { Description = "Concurrent streams (1-4096; default 16)", DefaultValueFactory = _ => 16 };
        var duration = new Option<TimeSpan>("--duration") { Description = "How long to run, such as 00:00:10 (default 10 s, at most 1 h)", DefaultValueFactory = _ => TimeSpan.FromSeconds(10) };
        var size = new Option<int>("--size") { Description = "Bytes per message (1-1048576; default 4096)", DefaultValueFactory = _ => 4096 };
        var command = new Command("load", "Measure an overlay service: concurrent echo round trips for a while, then throughput, p50/p99 and errors.")
        {
            identity, service, streams, duration, size,
        };
        command.Validators.Add(result =>
        {
            if (result.GetValue(streams) is < 1 or > 4096)
            {
                result.AddError("--streams must be between 1 and 4096.");
            }

            if (result.GetValue(duration) is var d && (d <= TimeSpan.Zero || d > TimeSpan.FromHours(1)))
            {
                result.AddError("--duration must be more than 0 and at most 1 hour.");
            }

            if (result.GetValue(size) is < 1 or > 1024 * 1024)
            {
                result.AddError("--size must be between 1 and 1048576 bytes.");
            }
        });
        command.SetAction((parse, cancellationToken) => OverlayCommand.RunAsync(error, async () =>
        {
            using var loaded = OverlayIdentity.Load(parse.GetValue(identity)!);
            await using var context = OverlayContext.Create(loaded);
            var report = await RunAsync(context, parse.GetValue(service)!, parse.GetValue(streams), parse.GetValue(duration), parse.GetValue(size), cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(report.ToString()).ConfigureAwait(false);
            return report.Requests > 0 && report.Errors == 0 ? 0 : CliApp.ProblemFound;
        }));
        return command;
    }

    internal static async Task<LoadReport> RunAsync(OverlayContext context, string service, int streams, TimeSpan duration, int size, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(duration);
        var samples = new List<double>[streams];
        var errors = 0;
        var bytes = 0L;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, streams).Select(async i =>
        {
            var mine = samples[i] = [];
            var message = new byte[size];
            var reply = new byte[size];
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    await using var stream = await context.DialAsync(service, stop.Token).ConfigureAwait(false);
                    while (!stop.IsCancellationRequested)
                    {
                        var started = Stopwatch.GetTimestamp();
                        await stream.WriteAsync(message, stop.Token).ConfigureAwait(false);
                        await stream.ReadExactlyAsync(reply, stop.Token).ConfigureAwait(false);
                        if (mine.Count < MaxSamples / streams)
                        {
                            mine.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                        }

                        Interlocked.Add(ref bytes, 2L * size);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is IOException or OverlayDialException)
                {
                    Interlocked.Increment(ref errors);
                }
            }
        })).ConfigureAwait(false);

        var all = samples.SelectMany(s => s).Order().ToArray();
        return new LoadReport(streams, clock.Elapsed, all.Length, errors, bytes, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    internal sealed record LoadReport(int Streams, TimeSpan Elapsed, long Requests, int Errors, long Bytes, double P50Milliseconds, double P99Milliseconds)
    {
        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Streams} stream(s) for {Elapsed.TotalSeconds:0.0} s: {Requests} round trips ({Requests / Elapsed.TotalSeconds:0} per s), " +
            $"{Bytes / Elapsed.TotalSeconds / (1024 * 1024):0.0} MiB/s both ways, p50 {P50Milliseconds:0.000} ms, p99 {P99Milliseconds:0.000} ms, errors {Errors}");
    }
}
