using SecureAoai.Client.Networking;

namespace SecureAoai.Client.Diagnostics;

/// <summary>One check of a <see cref="SecureOpenAIDiagnosticReport"/>: what was checked, what was found, and the fix.</summary>
public sealed class SecureOpenAIDiagnosticStep
{
    internal SecureOpenAIDiagnosticStep(
        SecureOpenAIDiagnosticCheck check,
        Uri? endpoint,
        string? deployment,
        SecureOpenAIDiagnosticStatus status,
        string detail,
        string? fix,
        IReadOnlyList<string> settings,
        EndpointNetworkReport? network)
    {
        Check = check;
        Endpoint = endpoint;
        Deployment = deployment;
        Status = status;
        Detail = detail;
        Fix = fix;
        Settings = settings;
        Network = network;
    }

    /// <summary>What was checked.</summary>
    public SecureOpenAIDiagnosticCheck Check { get; }

    /// <summary>The endpoint checked; <see langword="null"/> for the credential and token steps, which are shared by every endpoint.</summary>
    public Uri? Endpoint { get; }

    /// <summary>The deployment name checked at <see cref="Endpoint"/>, for a <see cref="SecureOpenAIDiagnosticCheck.Deployment"/> step; otherwise <see langword="null"/>.</summary>
    public string? Deployment { get; }

    /// <summary>The outcome.</summary>
    public SecureOpenAIDiagnosticStatus Status { get; }

    /// <summary>What was found, in words: addresses, certificate, credential, claims, the resource's answer. Never a token or key.</summary>
    public string Detail { get; }

    /// <summary>What to change, when <see cref="Status"/> is <see cref="SecureOpenAIDiagnosticStatus.Failed"/>; otherwise <see langword="null"/>.</summary>
    public string? Fix { get; }

    /// <summary>The settings <see cref="Fix"/> names (such as <c>SecureOpenAI:Credential:Scope</c>), so a tool can say how it sets them. Empty when it names none.</summary>
    public IReadOnlyList<string> Settings { get; }

    /// <summary>The resolution and policy verdict, for a <see cref="SecureOpenAIDiagnosticCheck.Network"/> step that ran; otherwise <see langword="null"/>.</summary>
    public EndpointNetworkReport? Network { get; }
}
