namespace SecureAoai.Emulator;

/// <summary>
/// The quota of one model deployment, counted over a sliding window of
/// <see cref="EmulatorInstanceOptions.RateLimitWindow"/> (one minute by default, as in Azure).
/// A request over either limit is answered with 429 and the time until the window admits it.
/// </summary>
/// <example>
/// <code>
/// var instance = new EmulatorInstanceOptions { Name = "eastus" };
/// instance.RateLimits["gpt-4o-mini"] = new EmulatorRateLimit { RequestsPerMinute = 2 };
/// </code>
/// </example>
public sealed class EmulatorRateLimit
{
    /// <summary>
    /// The requests admitted per window. The default value is <see langword="null"/>: requests are
    /// not limited.
    /// </summary>
    public int? RequestsPerMinute { get; init; }

    /// <summary>
    /// The tokens admitted per window, counted as Azure estimates them when a request arrives:
    /// the prompt's tokens plus <c>max_completion_tokens</c> (or <c>max_tokens</c>) when given,
    /// else the tokens of the answer the emulator will give; for embeddings, the input's tokens.
    /// A request whose estimate alone exceeds the limit is never admitted. The default value is
    /// <see langword="null"/>: tokens are not limited.
    /// </summary>
    public int? TokensPerMinute { get; init; }

    internal string? Validate()
    {
        if (RequestsPerMinute is < 1)
        {
            return $"RequestsPerMinute must be at least 1 (or null for no limit), not {RequestsPerMinute}.";
        }

        return TokensPerMinute is < 1 ? $"TokensPerMinute must be at least 1 (or null for no limit), not {TokensPerMinute}." : null;
    }
}
