using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Failover.Internal;
using SecureAoai.Client.Internal;
using SecureAoai.Client.Networking;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Diagnostics.Internal;

/// <summary>
/// Plans the steps for every endpoint (network and TLS for each, then the credential and its token
/// once per token scope in use, then each endpoint's data-plane calls with the credential the SDK
/// would send it), runs them in order, and stops at the first failure: every step after it is
/// reported as skipped, so a report always lists the whole plan.
/// </summary>
internal sealed class DiagnosticRun : IDisposable
{
    private readonly SecureOpenAIOptions _options;
    private readonly EndpointTrust _trust;
    private readonly TimeProvider _time;
    private readonly IReadOnlyList<DiagnosticTarget> _targets;
    private readonly Dictionary<string, CredentialProbe> _tokens = new(StringComparer.Ordinal);
    private readonly List<DataPlaneProbe> _probes = [];

    public DiagnosticRun(SecureOpenAIOptions options, EndpointTrust trust, bool isDevelopment, TimeProvider time)
    {
        _options = options;
        _trust = trust;
        _time = time;
        _targets = DiagnosticTarget.FromOptions(options);
        // As in the SDK, the test CA counts only on a connection whose socket reaches loopback
        // (EndpointTrust reads the connected peer): doctor's connections are plain sockets too.
        var chain = CredentialProbe.Chain(options.Credential, trust, isDevelopment);
        foreach (var target in _targets)
        {
            if (target.Scope is { } scope && !_tokens.ContainsKey(scope))
            {
                // Azure OpenAI judges the audience of a token it is sent; a gateway judges its own.
                var judgeAudience = _targets.Any(t => t.Scope == scope && !FailoverEndpoint.IsGatewayAt(t.Root, kind: null, scope: null));
                _tokens.Add(scope, new CredentialProbe(chain, scope, target.Credential.Setting, judgeAudience, time));
            }
        }
    }

    public async Task<SecureOpenAIDiagnosticReport> RunAsync(CancellationToken cancellationToken)
    {
        var steps = new List<SecureOpenAIDiagnosticStep>();
        SecureOpenAIDiagnosticStep? failed = null;
        foreach (var planned in Plan())
        {
            var outcome = failed is null
                ? await RunStepAsync(planned, cancellationToken).ConfigureAwait(false)
                : StepOutcome.Skipped($"Not run: {Describe(failed)} failed first.");
            var step = new SecureOpenAIDiagnosticStep(
                planned.Check, planned.Target?.Root, planned.Deployment?.Name, outcome.Status, outcome.Detail, outcome.Fix, outcome.Settings, outcome.Network);
            steps.Add(step);
            if (step.Status == SecureOpenAIDiagnosticStatus.Failed)
            {
                failed ??= step;
            }
        }

        return new SecureOpenAIDiagnosticReport(steps);
    }

    public void Dispose()
    {
        foreach (var probe in _probes)
        {
            probe.Dispose();
        }

        _trust.Dispose();
    }

    private static string Describe(SecureOpenAIDiagnosticStep step)
    {
        var check = step.Check switch
        {
            SecureOpenAIDiagnosticCheck.Tls => "TLS",
            SecureOpenAIDiagnosticCheck.DataPlane => "data-plane",
            _ => step.Check.ToString().ToLowerInvariant(),
        };
        return step.Endpoint is { } endpoint ? $"the {check} check of {endpoint.Authority}" : $"the {check} check";
    }

    private IEnumerable<PlannedStep> Plan()
    {
        foreach (var target in _targets)
        {
            yield return new PlannedStep(SecureOpenAIDiagnosticCheck.Network, target, null, ct => CheckNetworkAsync(target, ct));
            yield return new PlannedStep(SecureOpenAIDiagnosticCheck.Tls, target, null, ct => TlsProbe.RunAsync(target, _trust, _options.NetworkTimeout, ct));
        }

        if (_tokens.Count == 0)
        {
            yield return new PlannedStep(SecureOpenAIDiagnosticCheck.Credential, null, null, _ => Task.FromResult(KeysInUse()));
            yield return new PlannedStep(SecureOpenAIDiagnosticCheck.Token, null, null, _ => Task.FromResult(KeysInUse()));
        }

        foreach (var token in _tokens.Values)
        {
            yield return new PlannedStep(SecureOpenAIDiagnosticCheck.Credential, null, null, token.GetTokenAsync);
            yield return new PlannedStep(SecureOpenAIDiagnosticCheck.Token, null, null, _ => Task.FromResult(token.ReadClaims()));
        }

        foreach (var target in _targets)
        {
            var probe = new DataPlaneProbe(target, _options, _trust, target.Scope is { } scope ? _tokens[scope] : null, _time);
            _probes.Add(probe);
            yield return new PlannedStep(SecureOpenAIDiagnosticCheck.DataPlane, target, null, probe.ListModelsAsync);
            foreach (var deployment in target.Deployments)
            {
                yield return new PlannedStep(SecureOpenAIDiagnosticCheck.Deployment, target, deployment, ct => probe.FindDeploymentAsync(deployment, ct));
            }
        }
    }

    private static async Task<StepOutcome> RunStepAsync(PlannedStep planned, CancellationToken cancellationToken)
    {
        try
        {
            return await planned.Run(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            // A connection that broke or timed out after the earlier steps went through.
            var where = planned.Target?.Root.Authority ?? "the credential's authority";
            return StepOutcome.Failed(
                $"The call to {where} did not complete: {ex.Message}",
                $"The connection broke or timed out (the limit is {SettingNames.NetworkTimeout}). Run doctor again; if it fails the same way, something between this client and {where} drops the traffic.",
                SettingNames.NetworkTimeout);
        }
    }

    /// <summary>No endpoint is sent a token: the credential and token steps have nothing to check.</summary>
    private StepOutcome KeysInUse()
    {
        if (!string.IsNullOrEmpty(_options.ApiKey))
        {
            return StepOutcome.Skipped($"An API key is configured ({SettingNames.ApiKey}): requests carry the key, not an Entra ID token.");
        }

        var settings = string.Join(", ", _targets.Select(t => t.Credential.Setting).Distinct());
        return StepOutcome.Skipped($"Every endpoint is sent a gateway subscription key ({settings}): requests carry the key, not an Entra ID token.");
    }

    private static async Task<StepOutcome> CheckNetworkAsync(DiagnosticTarget target, CancellationToken cancellationToken)
    {
        if (target.UsesConnector)
        {
            return StepOutcome.Skipped($"{target.Host}:{target.Port} is reached through a connector: no DNS lookup and no network policy apply.");
        }

        var report = await EndpointNetworkDiagnostics.CheckAsync(target.Root, target.Network, cancellationToken).ConfigureAwait(false);
        if (!report.IsAllowed)
        {
            var settings = report.Failure == EndpointNetworkFailure.PolicyViolation
                ? new[] { SettingNames.DnsServers, SettingNames.Policy }
                : [SettingNames.DnsServers];
            return new StepOutcome(SecureOpenAIDiagnosticStatus.Failed, Summary(report), report.Explanation, settings, report);
        }

        target.VerifiedAddresses = report.AllowedAddresses;
        return StepOutcome.Ok(report.Explanation, report);
    }

    private static string Summary(EndpointNetworkReport report) =>
        report.Addresses.Count == 0
            ? $"{report.Host} did not resolve ({report.Failure}); answered by {report.Source ?? "nobody"}."
            : $"{report.Host} resolves to {string.Join(", ", report.Addresses.Select(a => $"{a.Key} ({a.Value.ToString().ToLowerInvariant()})"))}, refused under {report.Policy}.";

    private sealed record PlannedStep(SecureOpenAIDiagnosticCheck Check, DiagnosticTarget? Target, DiagnosticDeployment? Deployment, Func<CancellationToken, Task<StepOutcome>> Run);
}
