namespace SecureAoai.Client.Diagnostics;

/// <summary>The outcome of one <see cref="SecureOpenAIDiagnosticStep"/>.</summary>
public enum SecureOpenAIDiagnosticStatus
{
    /// <summary>The check passed.</summary>
    Ok,

    /// <summary>The check found a problem; <see cref="SecureOpenAIDiagnosticStep.Fix"/> says what to change.</summary>
    Failed,

    /// <summary>The check was not run: an earlier one failed, or it does not apply (no token with an API key; no DNS through a connector).</summary>
    Skipped,
}
