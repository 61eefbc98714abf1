using Polly.CircuitBreaker;
using Polly.Timeout;
using SecureAoai.Client.Networking;

namespace SecureAoai.Client.Failover.Internal;

/// <summary>Which answers and errors move a request to the next endpoint, and which reach the caller as they are.</summary>
internal static class FailoverRules
{
    /// <summary>Statuses that say the endpoint, not the request, is the problem: they fail over.</summary>
    public static bool IsEndpointFailure(int status) => status is 408 or 429 or 500 or 502 or 503 or 504;

    /// <summary>
    /// Whether an answer moves the request on: an endpoint failure, or a 404 when
    /// <see cref="SecureOpenAIFailoverOptions.FailoverOnNotFound"/> says a deployment may be missing
    /// in one region. 400, 401, 403 and other 404s are about the request: the next region would give the same.
    /// </summary>
    public static bool FailsOver(int status, SecureOpenAIFailoverOptions options) =>
        IsEndpointFailure(status) || (status == 404 && options.FailoverOnNotFound);

    /// <summary>
    /// Whether an attempt's error is the endpoint's (connection, attempt timeout, open circuit, network
    /// policy): the request moves on. A cancellation, or an answer turned into an error (a redirect), does not.
    /// </summary>
    public static bool IsEndpointFault(Exception error) => error switch
    {
        OperationCanceledException => false,
        HttpRequestException { StatusCode: not null } => false,
        HttpRequestException or IOException or TimeoutRejectedException or BrokenCircuitException or EndpointNetworkException => true,
        _ => false,
    };
}
