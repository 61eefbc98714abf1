using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace SecureAoai.IntegrationTests.Infrastructure;

/// <summary>
/// Sums the "SecureAoai" meter's measurements whose endpoint tag starts with a prefix, so tests
/// running in parallel in one process do not count each other's requests.
/// </summary>
internal sealed class MeterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, long> _sums = new();
    private readonly string _prefix;

    public MeterRecorder(string endpointPrefix)
    {
        _prefix = endpointPrefix;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "SecureAoai")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, (long)value, tags));
        _listener.Start();
    }

    /// <summary>The sum of <paramref name="instrument"/> over measurements whose tags include every pair of <paramref name="tags"/>.</summary>
    public long Sum(string instrument, params (string Key, string Value)[] tags) =>
        _sums.Where(e => e.Key.StartsWith(instrument + "|", StringComparison.Ordinal) && tags.All(t => e.Key.Contains($"|{t.Key}={t.Value}|", StringComparison.Ordinal)))
            .Sum(e => e.Value);

    public void Dispose() => _listener.Dispose();

    private void Add(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var ours = false;
        var key = new System.Text.StringBuilder(instrument.Name).Append('|');
        foreach (var tag in tags)
        {
            if (tag.Key is "endpoint" or "from" && tag.Value is string name && name.StartsWith(_prefix, StringComparison.Ordinal))
            {
                ours = true;
            }

            key.Append(tag.Key).Append('=').Append(tag.Value).Append('|');
        }

        if (ours)
        {
            _sums.AddOrUpdate(key.ToString(), value, (_, sum) => sum + value);
        }
    }
}
