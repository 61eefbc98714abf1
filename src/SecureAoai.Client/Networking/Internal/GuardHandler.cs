namespace SecureAoai.Client.Networking.Internal;

/// <summary>
/// Checks the endpoint's verdict before every request, so a request on a pooled connection is
/// refused too once a new answer fails the policy; hands the verdict to the connect callback.
/// <c>guardFor</c> gives the guard of a host and port, <see langword="null"/> for one a connector reaches, and throws for one that is not an endpoint.
/// </summary>
internal sealed class GuardHandler(Func<string, int, EndpointGuard?> guardFor, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var uri = request.RequestUri ?? throw new InvalidOperationException("The request has no URI.");
        var host = uri.IdnHost;
        if (guardFor(host, uri.Port) is { } guard)
        {
            var verdict = await guard.VerifyAsync(host, cancellationToken).ConfigureAwait(false);
            request.Options.Set(EndpointGuard.VerdictKey, verdict);
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken) =>
        SendAsync(request, cancellationToken).GetAwaiter().GetResult();
}
