using SecureAoai.Client.Internal;

namespace SecureAoai.Client.Networking.Internal;

/// <summary>
/// Asks the endpoint table to check the request's host against its network verdict before every
/// request, so a request on a pooled connection is refused too once a new answer fails the policy.
/// </summary>
internal sealed class GuardHandler(EndpointTable table, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        await table.VerifyAsync(uri, cancellationToken).ConfigureAwait(false);
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        SendAsync(request, cancellationToken).GetAwaiter().GetResult();
}
