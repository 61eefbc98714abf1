using System.Text.Json;
using SecureAoai.Testing.Recordings;

namespace SecureAoai.Emulator.Tests.Conformance;

/// <summary>
/// The chat answers' differences from Azure found by comparing with the recordings, one test each:
/// the content filter annotations, the usage details of newer api-versions, the model version in
/// <c>model</c>, and the output filter (from Azure's documentation, since no recording shows it).
/// </summary>
public sealed class ChatConformanceTests
{
    // A plain text stream with usage, recorded with api-version 2024-10-21.
    private static readonly RecordedEntry TextStream = AzureRecordings.Load("SimpleToolWorksStreaming(Auto).json").Entries[1];
    private static readonly RecordedEntry Buffered = AzureRecordings.Load("ChatCompletion.json").Entries[0];
    private static readonly RecordedEntry NewerStream = AzureRecordings.Load("AsyncContentFilterWorksStreaming(V2025_01_01_Preview).json").Entries[0];

    // https://learn.microsoft.com/azure/ai-services/openai/concepts/content-filter: "Non-streaming
    // completions calls won't return any content when the content is filtered. The finish_reason
    // value will be set to content_filter."; a stream ends with that finish reason.
    private const string OutputFilterSource = "learn.microsoft.com/azure/ai-services/openai/concepts/content-filter";

    [Fact]
    public async Task Stream_FirstEvent_IsThePromptFilterResultsWithEmptyIdModelObjectAndCreatedZero()
    {
        IReadOnlyList<JsonElement?> events = await StreamAsync(TextStream);

        JsonElement first = events[0]!.Value;
        new JsonShape().AssertSameShape(TextStream.EventPayloads[0], first, "first event");
        Assert.Equal(0, first.GetProperty("choices").GetArrayLength());
        Assert.Equal(0, first.GetProperty("created").GetInt64());
        Assert.All((string[])["id", "model", "object"], name => Assert.Equal(string.Empty, first.GetProperty(name).GetString()));
    }

    [Fact]
    public async Task Stream_EveryContentChunk_CarriesItsContentFilterResults()
    {
        IReadOnlyList<JsonElement?> events = await StreamAsync(TextStream);

        JsonElement recorded = TextStream.EventPayloads.First(e => EventStreamShape.Label(e) == EventStreamShape.Content);
        var content = events.Where(e => EventStreamShape.Label(e) == EventStreamShape.Content).Select(e => e!.Value).ToList();
        Assert.True(content.Count > 1, "the answer comes in several chunks");
        Assert.All(content, chunk => new JsonShape().AssertSameShape(recorded, chunk, "content chunk"));
    }

    [Fact]
    public async Task Stream_OutputFiltered_StopsBeforeTheTriggerWithFinishReasonContentFilter()
    {
        IReadOnlyList<JsonElement?> events = await StreamAsync(TextStream, "Tell me about [[filter_output]] and more");

        Assert.Equal(EventStreamShape.Order(TextStream.Events.Select(RecordedEntry.Payload)), EventStreamShape.Order(events));
        JsonElement finish = events.Single(e => EventStreamShape.Label(e) == EventStreamShape.Finish)!.Value;
        new JsonShape()
            .Allow("$.choices[].finish_reason", $"content_filter, per {OutputFilterSource}")
            .Allow("$.choices[].content_filter_results", "the chunk that stops a filtered answer names the category that stopped it")
            .AssertSameShape(TextStream.EventPayloads.First(e => EventStreamShape.Label(e) == EventStreamShape.Finish), finish, "finish event");
        JsonElement choice = finish.GetProperty("choices")[0];
        Assert.Equal("content_filter", choice.GetProperty("finish_reason").GetString());
        Assert.True(choice.GetProperty("content_filter_results").GetProperty("violence").GetProperty("filtered").GetBoolean());
        string text = string.Concat(events.Where(e => EventStreamShape.Label(e) == EventStreamShape.Content)
            .Select(e => e!.Value.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString()));
        Assert.Equal("Echo from eastus: Tell me about ", text);
    }

    [Fact]
    public async Task Buffered_OutputFiltered_NoContentAndFinishReasonContentFilter()
    {
        await using ConformanceEmulator emulator = await ConformanceEmulator.StartAsync(i => i.Deployments["gpt-4o-0806"].OutputFilterTriggers.Add("Honolulu"));

        using HttpResponseMessage response = await emulator.SendRecordedAsync(Buffered, Body(Buffered, "What should I wear in Honolulu?"));

        JsonElement body = await ConformanceEmulator.ReadJsonAsync(response);
        new JsonShape()
            .Allow("$.choices[].finish_reason", $"content_filter, per {OutputFilterSource}")
            .Allow("$.choices[].message.content", $"null: no content when filtered, per {OutputFilterSource}")
            .AssertSameShape(Buffered.ResponseBody!.Value, body, "filtered answer");
        JsonElement choice = body.GetProperty("choices")[0];
        Assert.Equal("content_filter", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("message").GetProperty("content").ValueKind);
        Assert.True(choice.GetProperty("content_filter_results").GetProperty("violence").GetProperty("filtered").GetBoolean());
    }

    [Fact]
    public async Task Buffered_PromptAndChoiceFilterResultsAndUsage_AsRecorded()
    {
        await using ConformanceEmulator emulator = await ConformanceEmulator.StartAsync();

        using HttpResponseMessage response = await emulator.SendRecordedAsync(Buffered);

        JsonElement body = await ConformanceEmulator.ReadJsonAsync(response);
        foreach (string path in (string[])["prompt_filter_results", "choices", "usage"])
        {
            new JsonShape().AssertSameShape(Buffered.ResponseBody!.Value.GetProperty(path), body.GetProperty(path), path);
        }
    }

    [Fact]
    public async Task Usage_ApiVersion2025_HasTokenDetailsAsRecorded_2024HasNone()
    {
        IReadOnlyList<JsonElement?> newer = await StreamAsync(NewerStream);
        IReadOnlyList<JsonElement?> older = await StreamAsync(TextStream);

        JsonElement Usage(IEnumerable<JsonElement?> events) => events.Single(e => EventStreamShape.Label(e) == EventStreamShape.Usage)!.Value.GetProperty("usage");
        new JsonShape().AssertSameShape(Usage(NewerStream.Events.Select(RecordedEntry.Payload)), Usage(newer), "2025-01-01-preview usage");
        new JsonShape().AssertSameShape(Usage(TextStream.Events.Select(RecordedEntry.Payload)), Usage(older), "2024-10-21 usage");
    }

    [Fact]
    public async Task Model_IsTheDeploymentsModelVersion_NotTheDeploymentName()
    {
        await using ConformanceEmulator emulator = await ConformanceEmulator.StartAsync();

        using HttpResponseMessage response = await emulator.SendRecordedAsync(Buffered);

        Assert.Equal("gpt-4o-0806", Buffered.Deployment);
        Assert.Equal(Buffered.ResponseBody!.Value.GetProperty("model").GetString(), (await ConformanceEmulator.ReadJsonAsync(response)).GetProperty("model").GetString());
    }

    [Fact]
    public async Task ModelsList_ListsModelsNotDeployments_InAzuresShape()
    {
        // The item shape of the example on https://learn.microsoft.com/rest/api/azureopenai/models/list (api-version 2024-10-21).
        using JsonDocument documented = JsonDocument.Parse("""
            {"data":[{"status":"succeeded","capabilities":{"fine_tune":true,"inference":true,"completion":true,"chat_completion":false,"embeddings":false},
            "lifecycle_status":"generally-available","deprecation":{"fine_tune":1677662127,"inference":1709284527},"id":"curie","created_at":1646126127,"object":"model"}],"object":"list"}
            """);
        await using ConformanceEmulator emulator = await ConformanceEmulator.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(emulator.Instance.Endpoint, "openai/models?api-version=2024-10-21"));
        request.Headers.Add("api-key", emulator.Instance.ApiKey);

        using HttpResponseMessage response = await emulator.Http.SendAsync(request);

        JsonElement body = await ConformanceEmulator.ReadJsonAsync(response);
        new JsonShape()
            .Allow("$.data[].deprecation.fine_tune", "the emulator's models cannot be fine-tuned, so they have no fine-tune deprecation")
            .AssertSameShape(documented.RootElement, body, "models list");
        string[] ids = [.. body.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()!)];
        Assert.Equal(["ada", "gpt-4o-2024-08-06", "gpt-4o-mini-2024-07-18", "text-embedding-3-small"], ids);
    }

    private static async Task<IReadOnlyList<JsonElement?>> StreamAsync(RecordedEntry entry, string? userMessage = null)
    {
        await using ConformanceEmulator emulator = await ConformanceEmulator.StartAsync();
        using HttpResponseMessage response = await emulator.SendRecordedAsync(entry, userMessage is null ? null : Body(entry, userMessage));
        response.EnsureSuccessStatusCode();
        return await ConformanceEmulator.ReadEventsAsync(response);
    }

    /// <summary>The recorded request body with one user message, so the emulator's echo says what the test needs.</summary>
    private static string Body(RecordedEntry entry, string userMessage)
    {
        var body = System.Text.Json.Nodes.JsonNode.Parse(entry.RequestBody!.Value.GetRawText())!.AsObject();
        body["messages"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["role"] = "user", ["content"] = userMessage });
        body.Remove("tools");
        body.Remove("tool_choice");
        return body.ToJsonString();
    }
}
