using Azure.Identity;

namespace SecureAoai.Client.Credentials;

/// <summary>
/// No credential in the configured chain produced a token. <see cref="Attempts"/> lists every
/// credential tried and why it did not work; the message says the same in words.
/// </summary>
public sealed class CredentialChainException : AuthenticationFailedException
{
    /// <summary>Creates the exception from the attempts made, in order.</summary>
    public CredentialChainException(string scope, IReadOnlyList<CredentialAttempt> attempts)
        : base(BuildMessage(scope, attempts), attempts.Count > 0 ? attempts[^1].Error : null)
    {
        Scope = scope;
        Attempts = attempts;
    }

    /// <summary>The scope a token was requested for.</summary>
    public string Scope { get; }

    /// <summary>Every credential tried, in order, with the reason it gave no token.</summary>
    public IReadOnlyList<CredentialAttempt> Attempts { get; }

    private static string BuildMessage(string scope, IReadOnlyList<CredentialAttempt> attempts)
    {
        var lines = attempts.Select(a => $"- {a.Name}: {(a.Unavailable ? "not available here" : "failed")}: {Describe(a.Error)}");
        return $"No Entra ID credential could get a token for scope '{scope}'. Tried, in order:{Environment.NewLine}"
            + string.Join(Environment.NewLine, lines)
            + $"{Environment.NewLine}Fix the first credential you expect to work, or change SecureOpenAI:Credential:Sources.";
    }

    /// <summary>
    /// One credential's error in one line. Azure.Identity wraps the identity provider's answer (the
    /// AADSTS code and its reason) in an inner exception and leaves its own message nearly empty, so
    /// both are reported.
    /// </summary>
    internal static string Describe(Exception error)
    {
        var outer = FirstLine(error.Message).Trim();
        var innermost = error;
        for (var depth = 0; innermost.InnerException is { } inner && depth < 8; depth++)
        {
            innermost = inner;
        }

        var cause = FirstLine(innermost.Message).Trim();
        if (ReferenceEquals(innermost, error) || cause.Length == 0 || outer.Contains(cause, StringComparison.Ordinal))
        {
            return outer;
        }

        return outer.EndsWith(':') ? $"{outer} {cause}" : $"{outer} ({cause})";
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
