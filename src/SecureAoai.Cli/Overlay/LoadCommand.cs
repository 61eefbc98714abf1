using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using SecureAoai.Overlay;

namespace SecureAoai.Cli.Overlay;

/// <summary>
/// <c>secureaoai load</c>: N concurrent streams to an echoing service, each sending a message and
/// reading it back in a loop, for T seconds or until R round trips in all; prints requests per second,
/// throughput, p50/p99 round trip and errors. The streams are opened first and the clock starts once
/// they are: set-up (dials and end-to-end handshakes) is reported on its own, so a short run on a busy
/// machine still measures round trips. The base for reliability runs.
/// </summary>
internal static class LoadCommand
{
    /// <summary>The most round-trip samples kept for percentiles; later ones are sampled.</summary>
    internal const int MaxSamples = 1_000_000;

    /// <summary>The longest run, and the bound on a run for a number of round trips.</summary>
    internal static readonly TimeSpan MaxDuration = TimeSpan.FromHours(1);

    /// <summary>How long opening the streams may take before the run goes on with those that opened.</summary>
    internal static readonly TimeSpan SetupTimeout = TimeSpan.FromSeconds(60);

    public static Command Create(TextWriter output, TextWriter error)
    {
        var identity = new Option<string>("--identity") { Description = "The identity file to dial as", Required = true };
        var service = new Option<string>("--service") { Description = "An echoing service (see 'secureaoai host --echo')", Required = true };
        var streams = new Option<int>("--streams") { Description = "Concurrent streams (1-4096; default 16)", DefaultValueFactory = _ => 16 };
        var duration = new Option<TimeSpan?>("--duration") { Description = "How long to run once the streams are open, such as 00:00:10 (default 10 s, or up to 1 h with --round-trips; at most 1 h)" };
        var roundTrips = new Option<long?>("--round-trips") { Description = "Stop after this many round trips in all (1-1000000000) instead of after a duration" };
        var size = new Option<int>("--size") { Description = "Bytes per message (1-1048576; default 4096)", DefaultValueFactory = _ => 4096 };
        var command = new Command("load", "Measure an overlay service: concurrent echo round trips for a while (or a number of them), then throughput, p50/p99 and errors.")
        {
            identity, service, streams, duration, roundTrips, size,
        };
        // Each limit is checked on its own option: a command-level validator sees 0, not the default, for
        // an option left out, and refused a plain 'load' without --size.
        Limit(streams, v => v is >= 1 and <= 4096, "--streams must be between 1 and 4096.");
        Limit(duration, v => v is null || (v > TimeSpan.Zero && v <= MaxDuration), "--duration must be more than 0 and at most 1 hour.");
        Limit(roundTrips, v => v is null or (>= 1 and <= 1_000_000_000), "--round-trips must be between 1 and 1000000000.");
        Limit(size, v => v is >= 1 and <= 1024 * 1024, "--size must be between 1 and 1048576 bytes.");
        command.SetAction((parse, cancellationToken) => OverlayCommand.RunAsync(error, async () =>
        {
            using var loaded = OverlayIdentity.Load(parse.GetValue(identity)!);
            await using var context = OverlayContext.Create(loaded);
            var target = parse.GetValue(roundTrips);
            var limit = parse.GetValue(duration) ?? (target is null ? TimeSpan.FromSeconds(10) : MaxDuration);
            var report = await RunAsync(context, parse.GetValue(service)!, parse.GetValue(streams), limit, target, parse.GetValue(size), cancellationToken).ConfigureAwait(false);
            await output.WriteLineAsync(report.ToString()).ConfigureAwait(false);
            foreach (var (kind, count) in report.ErrorKinds)
            {
                await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"error: {count} x {kind}")).ConfigureAwait(false);
            }

            return report.Requests > 0 && report.Errors == 0 && report.Requests >= (target ?? 0) ? 0 : CliApp.ProblemFound;
        }));
        return command;
    }

    private static void Limit<T>(Option<T> option, Func<T?, bool> valid, string message) =>
        option.Validators.Add(result =>
        {
            if (!valid(result.GetValueOrDefault<T>()))
            {
                result.AddError(message);
            }
        });

    /// <summary>
    /// Opens <paramref name="streams"/> streams, then runs round trips on them until <paramref name="duration"/>
    /// has passed since they opened or, when <paramref name="roundTrips"/> is set, that many were made.
    /// </summary>
    internal static async Task<LoadReport> RunAsync(
        OverlayContext context, string service, int streams, TimeSpan duration, long? roundTrips, int size, CancellationToken cancellationToken)
    {
        var errors = new ErrorTally();
        var setup = Stopwatch.StartNew();
        var opened = await OpenAsync(context, service, streams, errors.Add, cancellationToken).ConfigureAwait(false);
        setup.Stop();

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        stop.CancelAfter(duration);
        var samples = new List<double>[streams];
        var tickets = roundTrips ?? long.MaxValue;
        var bytes = 0L;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, streams).Select(async i =>
        {
            var mine = samples[i] = [];
            var message = new byte[size];
            var reply = new byte[size];
            var stream = opened[i];
            while (!stop.IsCancellationRequested && Volatile.Read(ref tickets) > 0)
            {
                try
                {
                    stream ??= await context.DialAsync(service, stop.Token).ConfigureAwait(false);
                    // Each round trip takes a ticket first, so a run for R round trips makes R at most.
                    while (!stop.IsCancellationRequested && Interlocked.Decrement(ref tickets) >= 0)
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
                    break;
                }
                catch (Exception ex) when (ex is IOException or OverlayDialException)
                {
                    errors.Add(ex);
                }
                finally
                {
                    if (stream is not null)
                    {
                        await stream.DisposeAsync().ConfigureAwait(false);
                    }

                    stream = null;
                }
            }
        })).ConfigureAwait(false);

        var all = samples.SelectMany(s => s).Order().ToArray();
        return new LoadReport(streams, setup.Elapsed, clock.Elapsed, all.Length, errors.Count, bytes, Percentile(all, 0.50), Percentile(all, 0.99)) { ErrorKinds = errors.Kinds() };
    }

    /// <summary>Dials every stream at once (each dial and end-to-end handshake is set-up, not a round trip); a failed dial is null and counts as an error.</summary>
    private static async Task<OverlayStream?[]> OpenAsync(OverlayContext context, string service, int streams, Action<Exception> failed, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(SetupTimeout);
        return await Task.WhenAll(Enumerable.Range(0, streams).Select(async _ =>
        {
            try
            {
                return await context.DialAsync(service, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return null; // stopped by the user: not an error of the service
            }
            catch (Exception ex) when (ex is IOException or OverlayDialException or OperationCanceledException)
            {
                failed(ex);
                return null;
            }
        })).ConfigureAwait(false);
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    internal sealed record LoadReport(int Streams, TimeSpan Setup, TimeSpan Elapsed, long Requests, int Errors, long Bytes, double P50Milliseconds, double P99Milliseconds)
    {
        /// <summary>What the errors were (exception type, dial reason, message) with how often each came, most frequent first.</summary>
        public IReadOnlyList<(string Kind, int Count)> ErrorKinds { get; init; } = [];

        public override string ToString() => string.Create(CultureInfo.InvariantCulture,
            $"{Streams} stream(s) opened in {Setup.TotalSeconds:0.00} s, then {Requests} round trips in {Elapsed.TotalSeconds:0.00} s ({Requests / Elapsed.TotalSeconds:0} per s), " +
            $"{Bytes / Elapsed.TotalSeconds / (1024 * 1024):0.0} MiB/s both ways, p50 {P50Milliseconds:0.000} ms, p99 {P99Milliseconds:0.000} ms, errors {Errors}");
    }

    /// <summary>Counts errors and keeps what they were, up to <see cref="MaxErrorKinds"/> distinct kinds (the rest count as "other").</summary>
    private sealed class ErrorTally
    {
        private const int MaxErrorKinds = 8;
        private readonly Dictionary<string, int> _kinds = [];
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add(Exception exception)
        {
            Interlocked.Increment(ref _count);
            var kind = exception is OverlayDialException dial
                ? $"{nameof(OverlayDialException)} ({dial.Reason}): {dial.Message}"
                : $"{exception.GetType().Name}: {exception.Message}";
            lock (_kinds)
            {
                if (!_kinds.ContainsKey(kind) && _kinds.Count >= MaxErrorKinds)
                {
                    kind = "other errors";
                }

                _kinds[kind] = _kinds.GetValueOrDefault(kind) + 1;
            }
        }

        public IReadOnlyList<(string Kind, int Count)> Kinds()
        {
            lock (_kinds)
            {
                return [.. _kinds.OrderByDescending(k => k.Value).Select(k => (k.Key, k.Value))];
            }
        }
    }
}
