namespace SecureAoai.Client.Failover;

/// <summary>One attempt of a request, or one endpoint skipped, as listed by <see cref="SecureOpenAIFailoverException"/>.</summary>
/// <param name="Endpoint">The endpoint's name.</param>
/// <param name="Status">The HTTP status, or <see langword="null"/> when no response came (connection failure, timeout, skipped).</param>
/// <param name="Reason">What happened, in words.</param>
/// <param name="Cooldown">How long the endpoint is kept out afterwards, or <see langword="null"/>.</param>
public sealed record FailoverAttempt(string Endpoint, int? Status, string Reason, TimeSpan? Cooldown)
{
    /// <inheritdoc/>
    public override string ToString() =>
        $"{Endpoint}: {(Status is { } s ? $"{s} " : "")}{Reason}{(Cooldown is { } c ? $", cooling for {c.TotalSeconds:0.###} s" : "")}";
}
