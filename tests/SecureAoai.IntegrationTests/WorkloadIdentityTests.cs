using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Embeddings;
using SecureAoai.Emulator;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>The real OpenAI client with the real WorkloadIdentityCredential, against the emulator over TLS.</summary>
public sealed class WorkloadIdentityTests(WorkloadIdentityEmulator fixture) : IClassFixture<WorkloadIdentityEmulator>
{
    [Fact]
    public async Task CompleteChat_WorkloadIdentity_AnswersWithEntraToken()
    {
        using var provider = SecureClients.Build(fixture.Settings());
        var chat = provider.GetRequiredService<ChatClient>();

        var completion = await chat.CompleteChatAsync([new UserChatMessage("hello from the pod")]);

        Assert.Contains("hello from the pod", completion.Value.Content[0].Text, StringComparison.Ordinal);
        Assert.True(completion.Value.Usage.TotalTokenCount > 0);
    }

    [Fact]
    public async Task CompleteChatStreaming_WorkloadIdentity_StreamsTextAndUsage()
    {
        using var provider = SecureClients.Build(fixture.Settings());
        var chat = provider.GetRequiredService<ChatClient>();
        var text = new System.Text.StringBuilder();
        ChatTokenUsage? usage = null;
        var updates = 0;

        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("stream these words please")]))
        {
            updates++;
            text.Append(string.Concat(update.ContentUpdate.Select(p => p.Text)));
            usage ??= update.Usage;
        }

        Assert.True(updates > 2, $"expected several chunks, got {updates}");
        Assert.Contains("stream these words please", text.ToString(), StringComparison.Ordinal);
        Assert.NotNull(usage);
        Assert.Equal(usage.InputTokenCount + usage.OutputTokenCount, usage.TotalTokenCount);
    }

    [Fact]
    public async Task GenerateEmbeddings_WorkloadIdentity_ReturnsOneVectorPerInput()
    {
        using var provider = SecureClients.Build(fixture.Settings());
        var embeddings = provider.GetRequiredService<EmbeddingClient>();

        var result = await embeddings.GenerateEmbeddingsAsync(["private endpoint", "managed identity"]);

        Assert.Equal(2, result.Value.Count);
        Assert.NotEqual(result.Value[0].ToFloats().ToArray(), result.Value[1].ToFloats().ToArray());
    }

    [Fact]
    public async Task CompleteChat_ApiVersionConfigured_UsesDeploymentsUrlStyle()
    {
        var settings = fixture.Settings();
        settings["SecureOpenAI:ApiVersion"] = "2024-10-21";
        using var provider = SecureClients.Build(settings);

        var completion = await provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("classic style")]);
        var embedding = await provider.GetRequiredService<EmbeddingClient>().GenerateEmbeddingAsync("classic style");

        Assert.Contains("classic style", completion.Value.Content[0].Text, StringComparison.Ordinal);
        Assert.False(embedding.Value.ToFloats().IsEmpty);
    }

    [Fact]
    public async Task GetModels_OpenAIClient_ListsTheModelsBehindTheDeployments()
    {
        using var provider = SecureClients.Build(fixture.Settings());
        var models = provider.GetRequiredService<OpenAIClient>().GetOpenAIModelClient();

        var list = await models.GetModelsAsync();

        // As Azure does, the list names models (gpt-4o-mini-2024-07-18), not deployments (gpt-4o-mini).
        Assert.Contains(list.Value, m => m.Id == EmulatorDeployment.DefaultChatModel);
        Assert.DoesNotContain(list.Value, m => m.Id == SecureClients.ChatDeployment);
    }

    [Fact]
    public async Task CompleteChat_TokenAcquired_ActivityNamesTheCredential()
    {
        var tags = new System.Collections.Concurrent.ConcurrentQueue<string?>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "SecureAoai",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity => tags.Enqueue(activity.GetTagItem("secureaoai.credential") as string),
        };
        ActivitySource.AddActivityListener(listener);
        using var provider = SecureClients.Build(fixture.Settings());

        await provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("who am I")]);

        Assert.Contains("WorkloadIdentity", tags);
    }
}
