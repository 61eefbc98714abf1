using System.Diagnostics;

namespace SecureAoai.Overlay.Tests.Soak;

/// <summary>
/// Honest clients: each keeps a stream to an echoing service and sends a message and reads it back,
/// over and over, dialing anew every <see cref="RoundTripsPerDial"/> round trips, until stopped.
/// Records each round trip's latency and every failure.
/// </summary>
internal sealed class EchoLoad
{
    /// <summary>Round trips on one stream before a client dials a new one, so dials are part of the load.</summary>
    public const int RoundTripsPerDial = 100;

    /// <summary>The most latency samples kept per client.</summary>
    private const int MaxSamplesPerClient = 1_000_000;

    private readonly List<double>[] _samples;
    private readonly TaskCompletionSource[] _firstRoundTrip;
    private readonly CancellationTokenSource _stop;
    private readonly Task[] _clients;
    private int _errors;

    private EchoLoad(IReadOnlyList<OverlayContext> clients, string service, int messageBytes, CancellationToken cancellationToken)
    {
        _samples = [.. clients.Select(_ => new List<double>())];
        _firstRoundTrip = [.. clients.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously))];
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _clients = [.. clients.Select((client, i) => Task.Run(() => ClientAsync(client, service, messageBytes, i)))];
    }

    /// <summary>Completes once every client has finished one round trip.</summary>
    public Task Ready => Task.WhenAll(_firstRoundTrip.Select(t => t.Task));

    public static EchoLoad Start(IReadOnlyList<OverlayContext> clients, string service, int messageBytes, CancellationToken cancellationToken) =>
        new(clients, service, messageBytes, cancellationToken);

    /// <summary>Stops every client and reports.</summary>
    public async Task<Report> StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_clients);
        _stop.Dispose();
        var all = _samples.SelectMany(s => s).Order().ToArray();
        return new Report(all.Length, _errors, Percentile(all, 0.50), Percentile(all, 0.99));
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
                        samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    }

                    _firstRoundTrip[index].TrySetResult();
                }
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is IOException or OverlayDialException)
            {
                Interlocked.Increment(ref _errors);
            }
        }
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>Round trips completed, failures (a dial or a round trip), and latency percentiles in milliseconds.</summary>
    public sealed record Report(long RoundTrips, int Errors, double P50Milliseconds, double P99Milliseconds);
}
