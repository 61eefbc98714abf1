namespace SecureAoai.Overlay.Tests.Testing;

/// <summary>Waits for a state no event announces, checking every 10 ms; the bounded count and the token only guard against a hang, nothing is timed.</summary>
internal static class Poll
{
    /// <summary>Returns once <paramref name="condition"/> holds, or after 3000 checks; the caller asserts what it waited for.</summary>
    public static async Task UntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        for (var i = 0; i < 3000 && !condition(); i++)
        {
            await Task.Delay(10, cancellationToken);
        }
    }
}
