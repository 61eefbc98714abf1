namespace SecureAoai.Client.Failover;

/// <summary>
/// No endpoint could serve the request within the budget. <see cref="Attempts"/> lists every attempt
/// in order (endpoint, status, reason, cooldown); the message says the same in words.
/// </summary>
public sealed class SecureOpenAIFailoverException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="summary">Why the SDK gave up.</param>
    /// <param name="attempts">Every attempt, in order.</param>
    /// <param name="innerException">The last attempt's exception, if it had one.</param>
    public SecureOpenAIFailoverException(string summary, IReadOnlyList<FailoverAttempt> attempts, Exception? innerException = null)
        : base(summary + Environment.NewLine + string.Join(Environment.NewLine, attempts.Select((a, i) => $"  {i + 1}. {a}")), innerException)
    {
        Attempts = attempts;
    }

    /// <summary>Every attempt, in order.</summary>
    public IReadOnlyList<FailoverAttempt> Attempts { get; }
}
