using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.Client;
using OpenAI.Embeddings;
using SecureAoai.Testing.Recordings;

namespace SecureAoai.IntegrationTests.Recorded;

/// <summary>
/// The OpenAI client's <see cref="ChatClient"/> and <see cref="EmbeddingClient"/>, as <c>AddSecureOpenAI</c>
/// registers them; or, given where else to get them (Azure.AI.OpenAI's client hands out the same
/// types), used alike from there.
/// </summary>
/// <param name="name">The path's name in test cases.</param>
/// <param name="configure">What the path registers beyond <c>AddSecureOpenAI</c>; nothing by default.</param>
/// <param name="chat">Where the chat client comes from; the registered <see cref="ChatClient"/> by default.</param>
/// <param name="embeddings">Where the embedding client comes from; the registered <see cref="EmbeddingClient"/> by default.</param>
internal sealed class OpenAIClientPath(
    string name = "OpenAI client",
    Action<SecureOpenAIBuilder, RecordedEntry>? configure = null,
    Func<IServiceProvider, RecordedEntry, ChatClient>? chat = null,
    Func<IServiceProvider, RecordedEntry, EmbeddingClient>? embeddings = null) : IRecordedClientPath
{
    public string Name => name;

    public void Configure(SecureOpenAIBuilder builder, RecordedEntry first) => configure?.Invoke(builder, first);

    public async Task<RecordedOutcome> SendAsync(IServiceProvider services, RecordedEntry entry, CancellationToken cancellationToken)
    {
        if (RecordedExpectation.IsEmbeddings(entry))
        {
            return await EmbedAsync(Embeddings(services, entry), entry, cancellationToken);
        }

        var chat = Chat(services, entry);
        var messages = Messages(entry);
        var options = Options(entry);
        return RecordedExpectation.IsStreamed(entry)
            ? await StreamAsync(chat, messages, options, cancellationToken)
            : Outcome((await chat.CompleteChatAsync(messages, options, cancellationToken)).Value);
    }

    private ChatClient Chat(IServiceProvider services, RecordedEntry entry) => chat?.Invoke(services, entry) ?? services.GetRequiredService<ChatClient>();

    private EmbeddingClient Embeddings(IServiceProvider services, RecordedEntry entry) => embeddings?.Invoke(services, entry) ?? services.GetRequiredService<EmbeddingClient>();

    private static async Task<EmbeddingOutcome> EmbedAsync(EmbeddingClient client, RecordedEntry entry, CancellationToken cancellationToken)
    {
        string[] inputs = RecordedExpectation.EmbeddingInputs(entry);
        var options = new EmbeddingGenerationOptions { Dimensions = entry.RequestProperty("dimensions")?.GetInt32() };
        OpenAIEmbeddingCollection result = await client.GenerateEmbeddingsAsync(inputs, options, cancellationToken);
        return new EmbeddingOutcome(
            [.. result.Select(e => e.ToFloats().ToArray())],
            new UsageOutcome(result.Usage.InputTokenCount, 0, result.Usage.TotalTokenCount),
            result.Model);
    }

    private static async Task<ChatOutcome> StreamAsync(ChatClient chat, List<ChatMessage> messages, ChatCompletionOptions options, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        string? model = null;
        var calls = new SortedDictionary<int, (string Id, string Name, StringBuilder Arguments)>();
        await foreach (StreamingChatCompletionUpdate update in chat.CompleteChatStreamingAsync(messages, options, cancellationToken))
        {
            foreach (ChatMessageContentPart part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            foreach (StreamingChatToolCallUpdate call in update.ToolCallUpdates)
            {
                var current = calls.TryGetValue(call.Index, out var known) ? known : (Id: string.Empty, Name: string.Empty, Arguments: new StringBuilder());
                current.Id = call.ToolCallId ?? current.Id;
                current.Name = call.FunctionName ?? current.Name;
                current.Arguments.Append(call.FunctionArgumentsUpdate?.ToString());
                calls[call.Index] = current;
            }

            finish = update.FinishReason ?? finish;
            usage = update.Usage ?? usage;
            model = string.IsNullOrEmpty(model) ? update.Model : model;
        }

        return new ChatOutcome(
            text.ToString(),
            FinishName(finish),
            [.. calls.Values.Select(c => new ToolCallOutcome(c.Id, c.Name, c.Arguments.ToString()))],
            usage is null ? null : new UsageOutcome(usage.InputTokenCount, usage.OutputTokenCount, usage.TotalTokenCount),
            model);
    }

    private static ChatOutcome Outcome(ChatCompletion completion) => new(
        string.Concat(completion.Content.Select(p => p.Text)),
        FinishName(completion.FinishReason),
        [.. completion.ToolCalls.Select(c => new ToolCallOutcome(c.Id, c.FunctionName, c.FunctionArguments.ToString()))],
        new UsageOutcome(completion.Usage.InputTokenCount, completion.Usage.OutputTokenCount, completion.Usage.TotalTokenCount),
        completion.Model);

    private static string? FinishName(ChatFinishReason? reason) => reason switch
    {
        null => null,
        ChatFinishReason.Stop => "stop",
        ChatFinishReason.Length => "length",
        ChatFinishReason.ContentFilter => "content_filter",
        ChatFinishReason.ToolCalls => "tool_calls",
        ChatFinishReason.FunctionCall => "function_call",
        _ => reason.ToString(),
    };

    /// <summary>The recorded messages as the app would build them.</summary>
    private static List<ChatMessage> Messages(RecordedEntry entry) =>
        [.. entry.RequestProperty("messages")!.Value.EnumerateArray().Select(Message)];

    private static ChatMessage Message(JsonElement message)
    {
        string role = message.GetProperty("role").GetString()!;
        string content = message.TryGetProperty("content", out JsonElement c) && c.ValueKind == JsonValueKind.String ? c.GetString()! : string.Empty;
        return role switch
        {
            "system" => new SystemChatMessage(content),
            "user" => new UserChatMessage(content),
            "assistant" when message.TryGetProperty("tool_calls", out JsonElement calls) => new AssistantChatMessage(
                calls.EnumerateArray().Select(call => ChatToolCall.CreateFunctionToolCall(
                    call.GetProperty("id").GetString()!,
                    call.GetProperty("function").GetProperty("name").GetString()!,
                    BinaryData.FromString(call.GetProperty("function").GetProperty("arguments").GetString()!)))),
            "assistant" => new AssistantChatMessage(content),
            "tool" => new ToolChatMessage(message.GetProperty("tool_call_id").GetString()!, content),
            _ => throw new NotSupportedException($"The replay does not build '{role}' messages yet; add them here when a recording has one."),
        };
    }

    /// <summary>The recorded options the OpenAI client can express.</summary>
    private static ChatCompletionOptions Options(RecordedEntry entry)
    {
        var options = new ChatCompletionOptions();
        if (entry.RequestProperty("tools") is { } tools)
        {
            foreach (JsonElement tool in tools.EnumerateArray())
            {
                JsonElement function = tool.GetProperty("function");
                options.Tools.Add(ChatTool.CreateFunctionTool(
                    function.GetProperty("name").GetString()!,
                    function.TryGetProperty("description", out JsonElement d) ? d.GetString() : null,
                    function.TryGetProperty("parameters", out JsonElement p) ? BinaryData.FromString(p.GetRawText()) : null));
            }
        }

        if (entry.RequestProperty("tool_choice") is { ValueKind: JsonValueKind.String } choice && choice.GetString() == "auto")
        {
            options.ToolChoice = ChatToolChoice.CreateAutoChoice();
        }

        if (entry.RequestProperty("max_tokens") is { } maxTokens)
        {
            options.MaxOutputTokenCount = maxTokens.GetInt32();
        }

        if (entry.RequestProperty("temperature") is { } temperature)
        {
            options.Temperature = temperature.GetSingle();
        }

        if (entry.RequestProperty("logprobs") is { ValueKind: JsonValueKind.True })
        {
            options.IncludeLogProbabilities = true;
            options.TopLogProbabilityCount = entry.RequestProperty("top_logprobs")?.GetInt32();
        }

        return options;
    }
}
