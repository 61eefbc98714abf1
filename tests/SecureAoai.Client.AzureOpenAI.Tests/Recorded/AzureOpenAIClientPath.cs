using System.ClientModel.Primitives;
using Azure.AI.OpenAI;
using Microsoft.Extensions.DependencyInjection;
using SecureAoai.Testing.Recordings;

namespace SecureAoai.IntegrationTests.Recorded;

/// <summary>
/// Azure.AI.OpenAI's <see cref="AzureOpenAIClient"/> from <c>AddAzureOpenAIClient</c>, as existing code
/// uses it: <c>GetChatClient("DEPLOYMENT")</c> with the recorded deployment's name. Its chat and
/// embedding clients are the OpenAI library's types, so the OpenAI path's calls are made on them.
/// </summary>
internal static class AzureOpenAIClientPath
{
    public static IRecordedClientPath Create() => new OpenAIClientPath(
        "Azure.AI.OpenAI client",
        (builder, first) => builder.AddAzureOpenAIClient(Version(first.ApiVersion!, out var pinned), options =>
        {
            if (pinned is not null)
            {
                options.AddPolicy(pinned, PipelinePosition.PerCall);
            }
        }),
        (services, entry) => services.GetRequiredService<AzureOpenAIClient>().GetChatClient(entry.Deployment),
        (services, entry) => services.GetRequiredService<AzureOpenAIClient>().GetEmbeddingClient(entry.Deployment));

    /// <summary>
    /// The client's version for the recorded one. Azure.AI.OpenAI 2.9.0-beta.1 cannot speak the
    /// oldest recordings' 2023-12-01-preview; an app that must, pins it with a policy, as here.
    /// </summary>
    private static AzureOpenAIClientOptions.ServiceVersion Version(string recorded, out PipelinePolicy? pinned)
    {
        pinned = null;
        foreach (var version in Enum.GetValues<AzureOpenAIClientOptions.ServiceVersion>())
        {
            if (string.Equals(version.ToString()[1..].Replace('_', '-'), recorded, StringComparison.OrdinalIgnoreCase))
            {
                return version;
            }
        }

        pinned = new ApiVersionPin(recorded);
        return AzureOpenAIClientOptions.ServiceVersion.V2024_10_21;
    }

    /// <summary>Replaces the <c>api-version</c> the client put on the request.</summary>
    private sealed class ApiVersionPin(string version) : PipelinePolicy
    {
        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            Pin(message);
            ProcessNext(message, pipeline, currentIndex);
        }

        public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            Pin(message);
            return ProcessNextAsync(message, pipeline, currentIndex);
        }

        private void Pin(PipelineMessage message)
        {
            var uri = message.Request.Uri!;
            var query = string.Join('&', uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
                .Select(p => p.StartsWith("api-version=", StringComparison.Ordinal) ? "api-version=" + version : p));
            message.Request.Uri = new UriBuilder(uri) { Query = query }.Uri;
        }
    }
}
