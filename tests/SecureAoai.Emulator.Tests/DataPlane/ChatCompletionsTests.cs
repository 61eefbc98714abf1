using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using System.Text;
using OpenAI;
using OpenAI.Chat;

namespace SecureAoai.Emulator.Tests.DataPlane;

public sealed class ChatCompletionsTests
{
    private static async Task<EmulatorServer> StartWithKeyAuthAsync()
    {
        var options = new EmulatorOptions();
        options.Instances.Add(new EmulatorInstanceOptions { Name = "eastus", KeyAuthEnabled = true });
        return await EmulatorServer.StartAsync(options);
    }

    private static ChatClient CreateChatClient(EmulatorInstance instance, HttpClient http, string model = "gpt-4o-mini") =>
        new(model, new ApiKeyCredential(instance.ApiKey), new OpenAIClientOptions
        {
            Endpoint = new Uri(instance.Endpoint, "openai/v1/"),
            Transport = new HttpClientPipelineTransport(http),
        });

    [Fact]
    public async Task CompleteChat_OpenAIClientWithKey_ReturnsDeterministicEchoAndUsage()
    {
        await using EmulatorServer server = await StartWithKeyAuthAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        ChatClient client = CreateChatClient(server["eastus"], http);

        ClientResult<ChatCompletion> result = await client.CompleteChatAsync([new UserChatMessage("what is the capital of France")]);

        ChatCompletion completion = result.Value;
        Assert.Equal("Echo from eastus: what is the capital of France", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.StartsWith("chatcmpl-", completion.Id, StringComparison.Ordinal);
        Assert.Equal(6, completion.Usage.InputTokenCount);
        Assert.Equal(9, completion.Usage.OutputTokenCount);
        Assert.Equal(15, completion.Usage.TotalTokenCount);
        Assert.Equal("East US", result.GetRawResponse().Headers.TryGetValue("x-ms-region", out string? region) ? region : null);
        Assert.Equal(EmulatorDeployment.DefaultChatModel, completion.Model);
        Assert.Equal(1, server["eastus"].RequestCount);
    }

    [Fact]
    public async Task CompleteChatStreaming_IncludeUsage_StreamsWordsThenUsage()
    {
        await using EmulatorServer server = await StartWithKeyAuthAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        ChatClient client = CreateChatClient(server["eastus"], http);
        var text = new StringBuilder();
        int contentUpdates = 0;
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;

        await foreach (StreamingChatCompletionUpdate update in client.CompleteChatStreamingAsync(
            [new UserChatMessage("stream three words")], new ChatCompletionOptions()))
        {
            foreach (ChatMessageContentPart part in update.ContentUpdate)
            {
                text.Append(part.Text);
                contentUpdates++;
            }

            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal("Echo from eastus: stream three words", text.ToString());
        Assert.True(contentUpdates >= 3, $"expected the answer in several pieces, got {contentUpdates}");
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(3, usage.InputTokenCount);
        Assert.Equal(6, usage.OutputTokenCount);
        Assert.Equal(9, usage.TotalTokenCount);
    }

    [Fact]
    public async Task CompleteChat_MaxOutputTokens_TruncatesWithFinishReasonLength()
    {
        await using EmulatorServer server = await StartWithKeyAuthAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        ChatClient client = CreateChatClient(server["eastus"], http);

        ChatCompletion completion = await client.CompleteChatAsync(
            [new UserChatMessage("a long question indeed")], new ChatCompletionOptions { MaxOutputTokenCount = 3 });

        Assert.Equal("Echo from eastus:", completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal(3, completion.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task CompleteChat_UnknownDeployment_Returns404DeploymentNotFound()
    {
        await using EmulatorServer server = await StartWithKeyAuthAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        ChatClient client = CreateChatClient(server["eastus"], http, model: "gpt-5-nonexistent");

        ClientResultException error = await Assert.ThrowsAsync<ClientResultException>(() => client.CompleteChatAsync([new UserChatMessage("hi")]));

        Assert.Equal(404, error.Status);
        Assert.Contains("DeploymentNotFound", error.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ChatCompletions_EmbeddingDeployment_Returns400OperationNotSupported()
    {
        await using EmulatorServer server = await StartWithKeyAuthAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];

        using HttpResponseMessage response = await EmulatorRequests.PostAsync(
            http, instance.Endpoint, "openai/deployments/text-embedding-3-small/chat/completions?api-version=2024-10-21",
            new { messages = new[] { new { role = "user", content = "hi" } } }, apiKey: instance.ApiKey);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("OperationNotSupported", (await EmulatorRequests.ReadErrorAsync(response)).Code);
    }

    [Fact]
    public async Task ChatCompletions_DeploymentUrlWithBearerToken_ReturnsCompletion()
    {
        await using EmulatorServer server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        string token = server.CreateAccessToken(EmulatorOptions.DefaultClientId);

        using HttpResponseMessage response = await EmulatorRequests.PostAsync(
            http, server["eastus"].Endpoint, "openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21",
            new { messages = new[] { new { role = "user", content = "deployment style" } } }, bearer: token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        System.Text.Json.JsonElement body = await EmulatorRequests.ReadJsonAsync(response);
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.Equal("Echo from eastus: deployment style", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }

    [Fact]
    public async Task ChatCompletions_DeploymentUrlWithoutApiVersion_Returns404ResourceNotFound()
    {
        await using EmulatorServer server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);

        using HttpResponseMessage response = await EmulatorRequests.PostAsync(
            http, server["eastus"].Endpoint, "openai/deployments/gpt-4o-mini/chat/completions",
            EmulatorRequests.ChatBody, bearer: server.CreateAccessToken(EmulatorOptions.DefaultClientId));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(("404", "Resource not found"), await EmulatorRequests.ReadErrorAsync(response));
    }

    [Fact]
    public async Task ChatCompletions_PromptWithContentFilterMarker_Returns400ContentFilterBody()
    {
        await using EmulatorServer server = await StartWithKeyAuthAsync();
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorInstance instance = server["eastus"];

        using HttpResponseMessage response = await EmulatorRequests.PostAsync(
            http, instance.Endpoint, EmulatorRequests.ChatPath,
            new { model = "gpt-4o-mini", messages = new[] { new { role = "user", content = "tell me [[content_filter]] now" } } }, apiKey: instance.ApiKey);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        System.Text.Json.JsonElement error = (await EmulatorRequests.ReadJsonAsync(response)).GetProperty("error");
        Assert.Equal("content_filter", error.GetProperty("code").GetString());
        Assert.Equal("prompt", error.GetProperty("param").GetString());
        Assert.Equal(400, error.GetProperty("status").GetInt32());
        Assert.Contains("content management policy", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        System.Text.Json.JsonElement inner = error.GetProperty("innererror");
        Assert.Equal("ResponsibleAIPolicyViolation", inner.GetProperty("code").GetString());
        System.Text.Json.JsonElement results = inner.GetProperty("content_filter_result");
        Assert.True(results.GetProperty("violence").GetProperty("filtered").GetBoolean());
        Assert.Equal("medium", results.GetProperty("violence").GetProperty("severity").GetString());
        Assert.False(results.GetProperty("hate").GetProperty("filtered").GetBoolean());
        Assert.Equal(0, instance.FaultedCount);
    }
}
