using System.Collections.Concurrent;
using Azure.Core;

namespace SecureAoai.Client.Tests.Failover;

/// <summary>
/// A credential seam for the failover chain: each token names the scope it was asked for and its
/// number (<c>"api://gw/.default#2"</c>), valid for an hour on <paramref name="time"/>; counts the calls per scope.
/// </summary>
internal sealed class ScopeRecordingCredential(TimeProvider time) : TokenCredential
{
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);

    /// <summary>How many tokens were asked for <paramref name="scope"/>.</summary>
    public int CallsFor(string scope) => _calls.GetValueOrDefault(scope);

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        var scope = string.Join(" ", requestContext.Scopes);
        var n = _calls.AddOrUpdate(scope, 1, (_, c) => c + 1);
        return new AccessToken($"{scope}#{n}", time.GetUtcNow().AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
