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
        var lines = attempts.Select(a => $"- {a.Name}: {(a.Unavailable ? "not available here" : "failed")}: {FirstLine(a.Error.Message)}");
        return $"No Entra ID credential could get a token for scope '{scope}'. Tried, in order:{Environment.NewLine}"
            + string.Join(Environment.NewLine, lines)
            + $"{Environment.NewLine}Fix the first credential you expect to work, or change SecureOpenAI:Credential:Sources.";
    }

    private static string FirstLine(string message)
    {
        var end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
