using System.ClientModel.Primitives;
using System.Globalization;

namespace SecureAoai.Client.Internal;

/// <summary>
/// The client's retry policy with Azure's retry headers understood and the wait capped: a throttle
/// asking for more than the cap is returned to the caller at once rather than hanging the request.
/// </summary>
internal sealed class CappedRetryPolicy(int maxRetries, TimeSpan maxRetryAfter) : ClientRetryPolicy(maxRetries)
{
    protected override bool ShouldRetry(PipelineMessage message, Exception? exception) =>
        base.ShouldRetry(message, exception) && !ExceedsCap(message);

    protected override async ValueTask<bool> ShouldRetryAsync(PipelineMessage message, Exception? exception) =>
        await base.ShouldRetryAsync(message, exception).ConfigureAwait(false) && !ExceedsCap(message);

    protected override TimeSpan GetNextDelay(PipelineMessage message, int tryCount) =>
        RetryAfter(message.Response) ?? base.GetNextDelay(message, tryCount);

    private bool ExceedsCap(PipelineMessage message) => RetryAfter(message.Response) > maxRetryAfter;

    /// <summary>The wait the server asked for: retry-after-ms, then x-ms-retry-after-ms, then Retry-After (seconds or a date).</summary>
    internal static TimeSpan? RetryAfter(PipelineResponse? response)
    {
        if (response is null)
        {
            return null;
        }

        foreach (var name in (string[])["retry-after-ms", "x-ms-retry-after-ms"])
        {
            if (response.Headers.TryGetValue(name, out var ms) && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var milliseconds) && milliseconds >= 0)
            {
                return TimeSpan.FromMilliseconds(milliseconds);
            }
        }

        if (response.Headers.TryGetValue("Retry-After", out var value) && value is not null)
        {
            if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
            {
                return TimeSpan.FromSeconds(seconds);
            }

            if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                var wait = at - DateTimeOffset.UtcNow;
                return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
            }
        }

        return null;
    }
}
