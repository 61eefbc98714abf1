using System.Text.Json;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using SecureAoai.Client;
using SecureAoai.Testing.Recordings;

namespace SecureAoai.IntegrationTests.Recorded;

/// <summary>
/// Microsoft.Extensions.AI's <see cref="IChatClient"/> and <see cref="IEmbeddingGenerator{TInput, TEmbedding}"/>,
/// as <c>AddSecureOpenAI</c> registers them, with the OpenTelemetry and logging middleware on (as an
/// app following the docs would have them), so the replay also shows that the middleware changes
/// nothing the user gets.
/// </summary>
internal sealed class ExtensionsAIClientPath : IRecordedClientPath
{
    public string Name => "Microsoft.Extensions.AI";

    public void Configure(SecureOpenAIBuilder builder, RecordedEntry first) =>
        builder.ConfigureChatClient(chat => chat.UseOpenTelemetry().UseLogging())
            .ConfigureEmbeddingGenerator(embeddings => embeddings.UseOpenTelemetry().UseLogging());

    public async Task<RecordedOutcome> SendAsync(IServiceProvider services, RecordedEntry entry, CancellationToken cancellationToken)
    {
        if (RecordedExpectation.IsEmbeddings(entry))
        {
            return await EmbedAsync(services.GetRequiredService<IEmbeddingGenerator<string, Embedding<float>>>(), entry, cancellationToken);
        }

        var chat = services.GetRequiredService<IChatClient>();
        var messages = Messages(entry);
        var options = Options(entry);
        var response = RecordedExpectation.IsStreamed(entry)
            ? await chat.GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken)
            : await chat.GetResponseAsync(messages, options, cancellationToken);
        return Outcome(response);
    }

    private static async Task<EmbeddingOutcome> EmbedAsync(IEmbeddingGenerator<string, Embedding<float>> generator, RecordedEntry entry, CancellationToken cancellationToken)
    {
        string[] inputs = RecordedExpectation.EmbeddingInputs(entry);
        var options = new EmbeddingGenerationOptions { Dimensions = entry.RequestProperty("dimensions")?.GetInt32() };
        GeneratedEmbeddings<Embedding<float>> result = await generator.GenerateAsync(inputs, options, cancellationToken);
        return new EmbeddingOutcome(
            [.. result.Select(e => e.Vector.ToArray())],
            result.Usage is { } usage ? new UsageOutcome(usage.InputTokenCount ?? 0, 0, usage.TotalTokenCount ?? 0) : null,
            result.FirstOrDefault()?.ModelId);
    }

    /// <summary>What the user reads from a response, buffered or assembled from the stream's updates.</summary>
    private static ChatOutcome Outcome(ChatResponse response)
    {
        var calls = response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>()
            .Select(c => new ToolCallOutcome(c.CallId, c.Name, JsonSerializer.Serialize(c.Arguments)))
            .ToList();
        return new ChatOutcome(
            response.Text,
            FinishName(response.FinishReason),
            calls,
            response.Usage is { } usage ? new UsageOutcome(usage.InputTokenCount ?? 0, usage.OutputTokenCount ?? 0, usage.TotalTokenCount ?? 0) : null,
            response.ModelId);
    }

    private static string? FinishName(ChatFinishReason? reason) =>
        reason is null ? null
        : reason == ChatFinishReason.Stop ? "stop"
        : reason == ChatFinishReason.Length ? "length"
        : reason == ChatFinishReason.ContentFilter ? "content_filter"
        : reason == ChatFinishReason.ToolCalls ? "tool_calls"
        : reason.Value.Value;

    /// <summary>The recorded messages as an app on the abstractions would build them.</summary>
    private static List<ChatMessage> Messages(RecordedEntry entry) =>
        [.. entry.RequestProperty("messages")!.Value.EnumerateArray().Select(Message)];

    private static ChatMessage Message(JsonElement message)
    {
        string role = message.GetProperty("role").GetString()!;
        string content = message.TryGetProperty("content", out JsonElement c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : string.Empty;
        return role switch
        {
            "system" => new ChatMessage(ChatRole.System, content),
            "user" => new ChatMessage(ChatRole.User, content),
            "assistant" when message.TryGetProperty("tool_calls", out JsonElement calls) => new ChatMessage(
                ChatRole.Assistant,
                [.. calls.EnumerateArray().Select(call => (AIContent)new FunctionCallContent(
                    call.GetProperty("id").GetString()!,
                    call.GetProperty("function").GetProperty("name").GetString()!,
                    JsonSerializer.Deserialize<Dictionary<string, object?>>(call.GetProperty("function").GetProperty("arguments").GetString()!)))]),
            "assistant" => new ChatMessage(ChatRole.Assistant, content),
            "tool" => new ChatMessage(ChatRole.Tool, [new FunctionResultContent(message.GetProperty("tool_call_id").GetString()!, content)]),
            _ => throw new NotSupportedException($"The replay does not build '{role}' messages yet; add them here when a recording has one."),
        };
    }

    /// <summary>The recorded options the abstractions express; log probabilities, which they do not, through the raw OpenAI options.</summary>
    private static ChatOptions Options(RecordedEntry entry)
    {
        var options = new ChatOptions();
        if (entry.RequestProperty("tools") is { } tools)
        {
            options.Tools = [.. tools.EnumerateArray().Select(tool =>
            {
                JsonElement function = tool.GetProperty("function");
                return (AITool)AIFunctionFactory.CreateDeclaration(
                    function.GetProperty("name").GetString()!,
                    function.TryGetProperty("description", out JsonElement d) ? d.GetString() : null,
                    function.TryGetProperty("parameters", out JsonElement p) ? p.Clone() : JsonDocument.Parse("{}").RootElement.Clone());
            })];
        }

        if (entry.RequestProperty("tool_choice") is { ValueKind: JsonValueKind.String } choice && choice.GetString() == "auto")
        {
            options.ToolMode = ChatToolMode.Auto;
        }

        options.MaxOutputTokens = entry.RequestProperty("max_tokens")?.GetInt32();
        options.Temperature = entry.RequestProperty("temperature")?.GetSingle();
        if (entry.RequestProperty("logprobs") is { ValueKind: JsonValueKind.True })
        {
            int? top = entry.RequestProperty("top_logprobs")?.GetInt32();
            options.RawRepresentationFactory = _ => new OpenAI.Chat.ChatCompletionOptions { IncludeLogProbabilities = true, TopLogProbabilityCount = top };
        }

        return options;
    }
}
