using SecureAoai.Client.Internal;

namespace SecureAoai.Client.Networking.Internal;

/// <summary>
/// Asks the endpoint table to check the request's host against its network verdict before every
/// request, so a request on a pooled connection is refused too once a new answer fails the policy.
/// </summary>
internal sealed class GuardHandler(EndpointTable table, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        var verified = table.VerifyAsync(uri, cancellationToken);

        // A verdict within its TTL (nearly every request) is known at once: no async frame for it.
        // A resolution still running, or one that failed, is awaited (and its error thrown) as before.
        if (verified.IsCompletedSuccessfully)
        {
            return base.SendAsync(request, cancellationToken);
        }

        return VerifyThenSendAsync(verified, request, cancellationToken);
    }

    private async Task<HttpResponseMessage> VerifyThenSendAsync(ValueTask verified, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await verified.ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        SendAsync(request, cancellationToken).GetAwaiter().GetResult();
}
