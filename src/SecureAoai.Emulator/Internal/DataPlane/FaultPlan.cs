namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// The faults an instance injects, as one immutable value: the instance swaps the whole plan, so a
/// request never sees half of a change.
/// </summary>
internal sealed record FaultPlan
{
    public static readonly FaultPlan None = new();

    /// <summary>When set, every data-plane request is answered 429 with this wait.</summary>
    public TimeSpan? ThrottleRetryAfter { get; init; }

    /// <summary>The chance, 0 to 1, that a request is answered with one of <see cref="ErrorStatusCodes"/>.</summary>
    public double ErrorProbability { get; init; }

    public IReadOnlyList<int> ErrorStatusCodes { get; init; } = [];

    /// <summary>The wait before each request is handled.</summary>
    public TimeSpan Latency { get; init; }

    /// <summary>When set, a streamed answer's connection is aborted once this many body bytes were written.</summary>
    public long? StreamCutAfterBytes { get; init; }
}
