using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Networking;

/// <summary>
/// Checks an endpoint the way the SDK does before connecting: resolve the name with the configured
/// resolver, classify each address, apply the policy. Used by <c>secureaoai doctor</c>.
/// </summary>
public static class EndpointNetworkDiagnostics
{
    /// <summary>Resolves and judges <paramref name="endpoint"/>'s host; sends nothing to the endpoint.</summary>
    /// <param name="endpoint">The resource endpoint, such as <c>https://NAME.openai.azure.com/</c>.</param>
    /// <param name="options">The resolver and policy settings; the defaults when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The report; a failed lookup is a report with <see cref="EndpointNetworkReport.Failure"/> set, not an exception.</returns>
    /// <exception cref="ArgumentException"><paramref name="options"/> breaks a rule; the message names each setting.</exception>
    public static async Task<EndpointNetworkReport> CheckAsync(Uri endpoint, SecureOpenAINetworkOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        options ??= new SecureOpenAINetworkOptions();
        var failures = new List<string>();
        NetworkOptionsValidator.Validate(options, failures);
        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, failures), nameof(options));
        }

        var host = endpoint.IdnHost;
        var resolver = HostResolverFactory.Create(options, TimeProvider.System);
        HostResolution resolution;
        try
        {
            resolution = await resolver.ResolveAsync(host, cancellationToken).ConfigureAwait(false);
        }
        catch (HostResolutionException ex)
        {
            var error = EndpointGuard.Unresolved(host, ex);
            return new EndpointNetworkReport(host, options.Policy, null, [], [], [], false, error.Reason, error.Message);
        }

        var verdict = NetworkPolicyEvaluator.Evaluate(resolution, options.Policy);
        var explanation = verdict.IsAllowed
            ? $"{host} is allowed under {options.Policy}{(verdict.PublicFallback ? " (public fallback: no private address)" : "")}: {verdict.ChainText}   (answered by {resolution.Source})"
            : NetworkPolicyEvaluator.Explain(verdict);
        return new EndpointNetworkReport(
            host, options.Policy, resolution.Source, resolution.Chain, verdict.Classes, verdict.Allowed, verdict.PublicFallback,
            verdict.IsAllowed ? null : EndpointNetworkFailure.PolicyViolation, explanation);
    }
}
