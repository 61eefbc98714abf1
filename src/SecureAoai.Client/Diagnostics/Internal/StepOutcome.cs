using SecureAoai.Client.Networking;

namespace SecureAoai.Client.Diagnostics.Internal;

/// <summary>What one check found, before it is placed in the report with its endpoint and deployment.</summary>
internal sealed record StepOutcome(SecureOpenAIDiagnosticStatus Status, string Detail, string? Fix, IReadOnlyList<string> Settings, EndpointNetworkReport? Network = null)
{
    public static StepOutcome Ok(string detail, EndpointNetworkReport? network = null) => new(SecureOpenAIDiagnosticStatus.Ok, detail, null, [], network);

    public static StepOutcome Failed(string detail, string fix, params IReadOnlyList<string> settings) => new(SecureOpenAIDiagnosticStatus.Failed, detail, fix, settings);

    public static StepOutcome Skipped(string detail) => new(SecureOpenAIDiagnosticStatus.Skipped, detail, null, []);
}
