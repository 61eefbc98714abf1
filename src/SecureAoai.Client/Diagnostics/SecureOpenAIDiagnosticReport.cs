namespace SecureAoai.Client.Diagnostics;

/// <summary>What <see cref="SecureOpenAIDiagnostics.RunAsync"/> found: every step, in order, up to the first failure and the skipped ones after it.</summary>
public sealed class SecureOpenAIDiagnosticReport
{
    internal SecureOpenAIDiagnosticReport(IReadOnlyList<SecureOpenAIDiagnosticStep> steps) => Steps = steps;

    /// <summary>Every planned step, in the order they ran; those after a failure are <see cref="SecureOpenAIDiagnosticStatus.Skipped"/>.</summary>
    public IReadOnlyList<SecureOpenAIDiagnosticStep> Steps { get; }

    /// <summary>The step that failed, or <see langword="null"/> when none did.</summary>
    public SecureOpenAIDiagnosticStep? Failure => Steps.FirstOrDefault(s => s.Status == SecureOpenAIDiagnosticStatus.Failed);

    /// <summary><see langword="true"/> when no step failed: the app would reach the resource, authenticate and be served.</summary>
    public bool IsHealthy => Failure is null;
}
