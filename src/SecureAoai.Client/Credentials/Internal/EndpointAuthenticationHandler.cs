using System.Net;
using Microsoft.Extensions.Logging;
using Polly;
using SecureAoai.Client.Failover.Internal;
using SecureAoai.Client.Internal;

namespace SecureAoai.Client.Credentials.Internal;

/// <summary>
/// Authenticates each attempt for the endpoint failover chose for it: a token from the cache of that
/// endpoint's scope, or its key in its header. Requests arrive here without credentials (the
/// request template leaves them out), so an endpoint never receives another's token or key.
/// </summary>
/// <remarks>
/// On a 401 from a token endpoint it refreshes that scope's token once and sends the attempt again
/// to the same endpoint, unless the 401 is <c>PermissionDenied</c> (the principal lacks the role; a
/// new token would not have it either) or the credential hands back the token just refused. Either
/// way the answer goes up as it is, for the refusal policy to explain. It sits between the attempt
/// handler (one attempt, whatever happens here) and the endpoint's breaker and attempt timeout.
/// </remarks>
internal sealed class EndpointAuthenticationHandler(EndpointTable table, ILogger logger, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    private const string AuthorizationHeader = "Authorization";

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        SendAsync(request, cancellationToken).GetAwaiter().GetResult();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var endpoint = table.Find(request.RequestUri!) ?? throw EndpointTable.NotAnEndpoint(request.RequestUri!);
        var state = FailoverRequest.Of(request);
        if (endpoint.Credential?.Tokens is not { } tokens)
        {
            endpoint.Credential?.ApplyKey(request);
            state.Outcome.Sent(endpoint, null);
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }

        var token = await tokens.GetTokenAsync(rejected: null, claims: null, cancellationToken).ConfigureAwait(false);
        var response = await SendWithAsync(request, endpoint, token, state, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Unauthorized)
        {
            return response;
        }

        // Read by its code, never its words: Azure sends a missing role as 401 PermissionDenied.
        var error = await AzureErrorBody.ReadAsync(response, cancellationToken).ConfigureAwait(false);
        if (error.IsPermissionDenied)
        {
            Log.NotRefreshingForMissingRole(logger, endpoint.Name);
            return response;
        }

        // One refresh and one more try: a token revoked or rotated early gets replaced, while a token
        // the endpoint will never accept (wrong audience or tenant) is not retried forever. A claims
        // challenge (continuous access evaluation) goes to the credential, which makes Azure.Identity
        // bypass its own cache.
        var claims = ClaimsChallenge.Parse(response.Headers);
        Log.RetryingAfterUnauthorized(logger, endpoint.Name, claims is not null);
        var fresh = await tokens.GetTokenAsync(rejected: token, claims, cancellationToken).ConfigureAwait(false);
        if (string.Equals(fresh.Token.Token, token.Token.Token, StringComparison.Ordinal))
        {
            // The credential handed back the token just refused (its own cache): sending it again
            // would only repeat the 401, which goes up with the endpoint's reason.
            Log.RefreshReturnedSameToken(logger);
            return response;
        }

        response.Dispose();
        var again = state.Template.For(endpoint);
        again.SetResilienceContext(request.GetResilienceContext());
        return await SendWithAsync(again, endpoint, fresh, state, cancellationToken).ConfigureAwait(false);
    }

    private Task<HttpResponseMessage> SendWithAsync(
        HttpRequestMessage request, FailoverEndpoint endpoint, EntraTokenCache.CachedToken token, FailoverRequest state, CancellationToken cancellationToken)
    {
        // The cached header value, unparsed: the same bytes as a parsed AuthenticationHeaderValue
        // would write, without formatting the token again for every request.
        request.Headers.Remove(AuthorizationHeader);
        request.Headers.TryAddWithoutValidation(AuthorizationHeader, token.AuthorizationValue);
        state.Outcome.Sent(endpoint, token);
        return base.SendAsync(request, cancellationToken);
    }
}
