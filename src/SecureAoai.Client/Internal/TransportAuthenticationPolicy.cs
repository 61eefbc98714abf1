using System.ClientModel.Primitives;

namespace SecureAoai.Client.Internal;

/// <summary>
/// The authentication policy the OpenAI clients are built with: it adds nothing. Which credential a
/// request carries depends on the endpoint failover picks for each attempt, below this pipeline, so
/// the transport authenticates there (see <c>EndpointAuthenticationHandler</c>).
/// </summary>
internal sealed class TransportAuthenticationPolicy : AuthenticationPolicy
{
    public static TransportAuthenticationPolicy Instance { get; } = new();

    private TransportAuthenticationPolicy()
    {
    }

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex) =>
        ProcessNext(message, pipeline, currentIndex);

    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex) =>
        ProcessNextAsync(message, pipeline, currentIndex);
}
