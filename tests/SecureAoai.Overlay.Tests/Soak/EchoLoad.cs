using System.Diagnostics;

namespace SecureAoai.Overlay.Tests.Soak;

/// <summary>
/// Honest clients: each keeps a stream to an echoing service and sends a message and reads it back,
/// over and over, dialing anew every <see cref="RoundTripsPerDial"/> round trips, until stopped.
/// Records each round trip's latency and every failure under the <see cref="Phase"/> current at the
/// time, so one continuous load can be reported for parts of a run (before, during, after an attack).
/// </summary>
internal sealed class EchoLoad
{
    /// <summary>Round trips on one stream before a client dials a new one, so dials are part of the load.</summary>
    public const int RoundTripsPerDial = 100;

    /// <summary>The most latency samples kept per client.</summary>
    private const int MaxSamplesPerClient = 4_000_000;

    private readonly List<(int Phase, double Milliseconds)>[] _samples;
    private readonly List<int>[] _errors;
    private readonly TaskCompletionSource[] _firstRoundTrip;
    private readonly CancellationTokenSource _stop;
    private readonly Task[] _clients;
    private int _phase;

    private EchoLoad(IReadOnlyList<OverlayContext> clients, string service, int messageBytes, CancellationToken cancellationToken)
    {
        _samples = [.. clients.Select(_ => new List<(int, double)>())];
        _errors = [.. clients.Select(_ => new List<int>())];
        _firstRoundTrip = [.. clients.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))];
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _clients = [.. clients.Select((client, i) => Task.Run(() => ClientAsync(client, service, messageBytes, i)))];
    }

    /// <summary>Completes once every client has finished one round trip.</summary>
    public Task Ready => Task.WhenAll(_firstRoundTrip.Select(t => t.Task));

    /// <summary>Gets or sets the label recorded with each round trip and failure from now on. Starts at 0.</summary>
    public int Phase
    {
        get => Volatile.Read(ref _phase);
        set => Volatile.Write(ref _phase, value);
    }

    public static EchoLoad Start(IReadOnlyList<OverlayContext> clients, string service, int messageBytes, CancellationToken cancellationToken) =>
        new(clients, service, messageBytes, cancellationToken);

    /// <summary>Stops every client.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
        _stop.Dispose();
    }

    /// <summary>Round trips, failures and latency percentiles of the given phases (all of them when none is given), once stopped.</summary>
    public Report ReportOf(params int[] phases)
    {
        bool Counts(int phase) => phases.Length == 0 || phases.Contains(phase);
        var all = _samples.SelectMany(s => s).Where(s => Counts(s.Phase)).Select(s => s.Milliseconds).Order().ToArray();
        var errors = _errors.Sum(e => e.Count(Counts));
        return new Report(all.Length, errors, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    private async Task ClientAsync(OverlayContext client, string service, int messageBytes, int index)
    {
        var samples = _samples[index];
        var message = new byte[messageBytes];
        var reply = new byte[messageBytes];
        Random.Shared.NextBytes(message);
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await using var stream = await client.DialAsync(service, _stop.Token);
                for (var i = 0; i < RoundTripsPerDial && !_stop.IsCancellationRequested; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    await stream.WriteAsync(message, _stop.Token);
                    await stream.ReadExactlyAsync(reply, _stop.Token);
                    if (samples.Count < MaxSamplesPerClient)
                    {
                        samples.Add((Phase, Stopwatch.GetElapsedTime(started).TotalMilliseconds));
                    }

                    _firstRoundTrip[index].TrySetResult();
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (IOException)
            {
                // A failed dial (OverlayDialException is one) or round trip: counted, then dial again.
                _errors[index].Add(Phase);
            }
        }
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>Round trips completed, failures (a dial or a round trip), and latency percentiles in milliseconds.</summary>
    public sealed record Report(long RoundTrips, int Errors, double P50Milliseconds, double P99Milliseconds);
}
