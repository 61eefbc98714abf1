using System.Globalization;
using System.Net.Http.Headers;

namespace SecureAoai.Client.Failover.Internal;

/// <summary>Reads how long a server asked to be left alone, and the quota it reports.</summary>
internal static class RetryHeaders
{
    /// <summary>
    /// The wait asked for: <c>retry-after-ms</c>, then <c>x-ms-retry-after-ms</c>, then
    /// <c>Retry-After</c> (seconds or an HTTP date), then the later of <c>x-ratelimit-reset-requests</c>
    /// and <c>-tokens</c> (seconds, or a duration such as <c>1m30s</c>); <see langword="null"/> when none.
    /// </summary>
    public static TimeSpan? RequestedWait(HttpResponseMessage response, DateTimeOffset now)
    {
        foreach (var name in (string[])["retry-after-ms", "x-ms-retry-after-ms"])
        {
            if (Value(response.Headers, name) is { } ms && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= 0)
            {
                return TimeSpan.FromMilliseconds(Math.Min(milliseconds, TimeSpan.MaxValue.TotalMilliseconds / 2));
            }
        }

        if (response.Headers.RetryAfter is { } retryAfter)
        {
            if (retryAfter.Delta is { } delta)
            {
                return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            }

            if (retryAfter.Date is { } date)
            {
                return date > now ? date - now : TimeSpan.Zero;
            }
        }

        TimeSpan? reset = null;
        foreach (var name in (string[])["x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"])
        {
            if (Value(response.Headers, name) is { } text && TryParseDuration(text, out var wait) && (reset is null || wait > reset))
            {
                reset = wait;
            }
        }

        return reset;
    }

    /// <summary>A header as a number, or <see langword="null"/>.</summary>
    public static long? Number(HttpResponseHeaders headers, string name) =>
        Value(headers, name) is { } text && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ? number : null;

    /// <summary>Parses seconds (<c>12</c>, <c>1.5</c>) or a duration (<c>1m30s</c>, <c>250ms</c>, <c>2h</c>).</summary>
    internal static bool TryParseDuration(string text, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            if (seconds < 0 || seconds > TimeSpan.FromDays(7).TotalSeconds)
            {
                return false;
            }

            duration = TimeSpan.FromSeconds(seconds);
            return true;
        }

        var span = text.AsSpan().Trim();
        if (span.IsEmpty || span.Length > 32)
        {
            return false;
        }

        var total = 0.0;
        while (!span.IsEmpty)
        {
            var digits = 0;
            while (digits < span.Length && (char.IsAsciiDigit(span[digits]) || span[digits] == '.'))
            {
                digits++;
            }

            if (digits == 0 || !double.TryParse(span[..digits], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                return false;
            }

            span = span[digits..];
            double unit;
            if (span.StartsWith("ms")) { unit = 0.001; span = span[2..]; }
            else if (span.StartsWith("h")) { unit = 3600; span = span[1..]; }
            else if (span.StartsWith("m")) { unit = 60; span = span[1..]; }
            else if (span.StartsWith("s")) { unit = 1; span = span[1..]; }
            else { return false; }

            total += value * unit;
        }

        if (total > TimeSpan.FromDays(7).TotalSeconds)
        {
            return false;
        }

        duration = TimeSpan.FromSeconds(total);
        return true;
    }

    /// <summary>The header's first value as sent, unparsed (these headers have no parser), or <see langword="null"/>.</summary>
    private static string? Value(HttpResponseHeaders headers, string name)
    {
        if (!headers.NonValidated.TryGetValues(name, out var values))
        {
            return null;
        }

        foreach (var value in values)
        {
            return value;
        }

        return null;
    }
}
