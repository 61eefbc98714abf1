namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// The outcome of <see cref="RateLimiter.TryAdmit"/>: the remaining quota after this request
/// (<see langword="null"/> for a dimension with no limit) and, when refused, how long to wait.
/// </summary>
internal sealed record RateLimitDecision(
    bool Admitted,
    EmulatorRateLimit Limit,
    int? RemainingRequests,
    int? RemainingTokens,
    TimeSpan ResetRequests,
    TimeSpan ResetTokens,
    TimeSpan RetryAfter,
    bool TokensExceeded);
