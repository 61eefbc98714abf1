using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// Writes the quota and retry headers Azure OpenAI sends: <c>x-ratelimit-limit-*</c> and
/// <c>-remaining-*</c> on answers from a limited deployment, <c>x-ratelimit-reset-*</c> only on a 429
/// (the recorded successes carry none), and <c>retry-after-ms</c>, <c>x-ms-retry-after-ms</c> and
/// <c>Retry-After</c> on a 429.
/// </summary>
internal static class RateLimitHeaders
{
    public const string RetryAfterMs = "retry-after-ms";
    public const string MsRetryAfterMs = "x-ms-retry-after-ms";
    public const string LimitRequests = "x-ratelimit-limit-requests";
    public const string LimitTokens = "x-ratelimit-limit-tokens";
    public const string RemainingRequests = "x-ratelimit-remaining-requests";
    public const string RemainingTokens = "x-ratelimit-remaining-tokens";
    public const string ResetRequests = "x-ratelimit-reset-requests";
    public const string ResetTokens = "x-ratelimit-reset-tokens";

    /// <summary>Writes the limit and remaining headers of each dimension the deployment limits, and the reset headers of a refusal.</summary>
    public static void WriteQuota(HttpResponse response, RateLimitDecision decision)
    {
        IHeaderDictionary headers = response.Headers;
        if (decision.Limit.RequestsPerMinute is int rpm)
        {
            headers[LimitRequests] = Format(rpm);
            headers[RemainingRequests] = Format(decision.RemainingRequests ?? 0);
            if (!decision.Admitted)
            {
                headers[ResetRequests] = FormatDuration(decision.ResetRequests);
            }
        }

        if (decision.Limit.TokensPerMinute is int tpm)
        {
            headers[LimitTokens] = Format(tpm);
            headers[RemainingTokens] = Format(decision.RemainingTokens ?? 0);
            if (!decision.Admitted)
            {
                headers[ResetTokens] = FormatDuration(decision.ResetTokens);
            }
        }
    }

    /// <summary>
    /// Writes the wait in milliseconds (rounded up) and in whole seconds (rounded up, as
    /// <c>Retry-After</c> allows no fraction); returns the seconds, for the error message.
    /// </summary>
    public static long WriteRetryAfter(HttpResponse response, TimeSpan retryAfter)
    {
        long milliseconds = CeilingDivide(retryAfter.Ticks, TimeSpan.TicksPerMillisecond);
        long seconds = CeilingDivide(retryAfter.Ticks, TimeSpan.TicksPerSecond);
        response.Headers[RetryAfterMs] = Format(milliseconds);
        response.Headers[MsRetryAfterMs] = Format(milliseconds);
        response.Headers.RetryAfter = Format(seconds);
        return seconds;
    }

    /// <summary>A duration the way OpenAI writes reset headers: <c>250ms</c>, <c>1.5s</c>, <c>6m0s</c>.</summary>
    internal static string FormatDuration(TimeSpan duration)
    {
        long milliseconds = Math.Max(0, CeilingDivide(duration.Ticks, TimeSpan.TicksPerMillisecond));
        if (milliseconds < 1000)
        {
            return Format(milliseconds) + "ms";
        }

        long minutes = milliseconds / 60_000;
        string seconds = (milliseconds % 60_000 / 1000.0).ToString("0.###", CultureInfo.InvariantCulture) + "s";
        return minutes == 0 ? seconds : Format(minutes) + "m" + seconds;
    }

    private static long CeilingDivide(long value, long divisor) => value <= 0 ? 0 : ((value - 1) / divisor) + 1;

    private static string Format(long value) => value.ToString(CultureInfo.InvariantCulture);
}
