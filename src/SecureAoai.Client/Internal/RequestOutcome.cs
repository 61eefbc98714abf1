using System.ClientModel.Primitives;
using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Failover.Internal;

namespace SecureAoai.Client.Internal;

/// <summary>
/// Where a request's last send went and what it carried: written by the attempt-level
/// authentication below failover, read by <see cref="RefusalPolicy"/> above it, which must speak of
/// the endpoint that answered (not the one the client addressed) and of the token or key it was sent.
/// It is carried in the pipeline message's properties and the HTTP request's options
/// (<see cref="SecureOpenAIPipelineTransport"/>).
/// </summary>
/// <remarks>Attempts of one request run one after another, so the last write is the answer's.</remarks>
internal sealed class RequestOutcome
{
    public static readonly HttpRequestOptionsKey<RequestOutcome> Key = new("SecureAoai.RequestOutcome");

    /// <summary>The endpoint of the last send, or <see langword="null"/> before the first.</summary>
    public FailoverEndpoint? Endpoint { get; private set; }

    /// <summary>The token of the last send, or <see langword="null"/> when it carried a key (or nothing).</summary>
    public EntraTokenCache.CachedToken? Token { get; private set; }

    /// <summary>Records one send.</summary>
    public void Sent(FailoverEndpoint endpoint, EntraTokenCache.CachedToken? token)
    {
        Endpoint = endpoint;
        Token = token;
    }

    /// <summary>The outcome of a pipeline message sent through <see cref="SecureOpenAIPipelineTransport"/>, if it was.</summary>
    public static RequestOutcome? Of(PipelineMessage message) =>
        message.TryGetProperty(typeof(RequestOutcome), out var value) ? value as RequestOutcome : null;
}
