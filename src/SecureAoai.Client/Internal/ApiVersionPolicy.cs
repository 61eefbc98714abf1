using System.ClientModel.Primitives;

namespace SecureAoai.Client.Internal;

/// <summary>Adds <c>api-version</c> to requests on the classic <c>/openai/deployments/</c> URL style.</summary>
internal sealed class ApiVersionPolicy(string apiVersion) : PipelinePolicy
{
    private readonly string _query = "api-version=" + Uri.EscapeDataString(apiVersion);

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        AddVersion(message);
        ProcessNext(message, pipeline, currentIndex);
    }

    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        AddVersion(message);
        return ProcessNextAsync(message, pipeline, currentIndex);
    }

    private void AddVersion(PipelineMessage message)
    {
        var uri = message.Request.Uri;
        if (uri is null || !uri.AbsolutePath.Contains("/openai/deployments/", StringComparison.Ordinal) || uri.Query.Contains("api-version=", StringComparison.Ordinal))
        {
            return;
        }

        var builder = new UriBuilder(uri) { Query = uri.Query.Length > 1 ? uri.Query[1..] + "&" + _query : _query };
        message.Request.Uri = builder.Uri;
    }
}
