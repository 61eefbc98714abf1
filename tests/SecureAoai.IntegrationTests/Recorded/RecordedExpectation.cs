using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using SecureAoai.Testing.Recordings;

namespace SecureAoai.IntegrationTests.Recorded;

/// <summary>
/// What a user should get from a recorded answer, read from the recorded JSON directly (not
/// through any SDK), so the replay tests compare each client path with the service's own words.
/// </summary>
internal static class RecordedExpectation
{
    public static bool IsEmbeddings(RecordedEntry entry) => entry.RequestUri.AbsolutePath.EndsWith("/embeddings", StringComparison.Ordinal);

    public static bool IsStreamed(RecordedEntry entry) => entry.RequestProperty("stream") is { ValueKind: JsonValueKind.True };

    /// <summary>
    /// The texts an embeddings request sent. A request recorded without input (the Go SDK's
    /// missing-deployment test) still needs one to be sent again.
    /// </summary>
    public static string[] EmbeddingInputs(RecordedEntry entry) => entry.RequestProperty("input") switch
    {
        { ValueKind: JsonValueKind.String } one => [one.GetString()!],
        { ValueKind: JsonValueKind.Array } many => [.. many.EnumerateArray().Select(i => i.GetString()!)],
        _ => ["no input was recorded"],
    };

    /// <summary>The answer a successful exchange carries.</summary>
    public static RecordedOutcome Success(RecordedEntry entry)
    {
        if (entry.StatusCode is < 200 or > 299)
        {
            throw new InvalidOperationException($"{entry.RequestUri} was answered {entry.StatusCode}, not a success.");
        }

        return IsEmbeddings(entry) ? Embeddings(entry.ResponseBody!.Value)
            : entry.IsEventStream ? Stream(entry.EventPayloads)
            : Chat(entry.ResponseBody!.Value);
    }

    /// <summary>The status, error code and message of a refused exchange, in either of Azure's error shapes.</summary>
    public static (int Status, string? Code, string Message) Error(RecordedEntry entry)
    {
        JsonElement body = entry.ResponseBody!.Value;
        if (body.TryGetProperty("error", out JsonElement error))
        {
            return (entry.StatusCode, error.GetProperty("code").GetString(), error.GetProperty("message").GetString()!);
        }

        return (entry.StatusCode, null, body.GetProperty("message").GetString()!);
    }

    /// <summary>Prompt and completion tokens of every successful exchange: what the <c>secureaoai.tokens</c> counter should add up to.</summary>
    public static (long Prompt, long Completion) Tokens(IEnumerable<RecordedEntry> entries)
    {
        long prompt = 0, completion = 0;
        foreach (RecordedEntry entry in entries.Where(e => e.StatusCode is >= 200 and <= 299))
        {
            UsageOutcome? usage = Success(entry) switch
            {
                ChatOutcome chat => chat.Usage,
                EmbeddingOutcome embeddings => embeddings.Usage,
                _ => null,
            };
            prompt += usage?.Prompt ?? 0;
            completion += usage?.Completion ?? 0;
        }

        return (prompt, completion);
    }

    private static ChatOutcome Chat(JsonElement body)
    {
        JsonElement choice = body.GetProperty("choices")[0];
        JsonElement message = choice.GetProperty("message");
        var toolCalls = new List<ToolCallOutcome>();
        if (message.TryGetProperty("tool_calls", out JsonElement calls) && calls.ValueKind == JsonValueKind.Array)
        {
            toolCalls.AddRange(calls.EnumerateArray().Select(c => new ToolCallOutcome(
                c.GetProperty("id").GetString()!,
                c.GetProperty("function").GetProperty("name").GetString()!,
                c.GetProperty("function").GetProperty("arguments").GetString()!)));
        }

        return new ChatOutcome(
            message.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.String ? content.GetString()! : string.Empty,
            choice.GetProperty("finish_reason").GetString(),
            toolCalls,
            Usage(body),
            body.GetProperty("model").GetString());
    }

    private static ChatOutcome Stream(IReadOnlyList<JsonElement> events)
    {
        var text = new StringBuilder();
        string? finish = null;
        string? model = null;
        UsageOutcome? usage = null;
        var calls = new SortedDictionary<int, (string Id, string Name, StringBuilder Arguments)>();
        foreach (JsonElement chunk in events)
        {
            model ??= chunk.TryGetProperty("model", out JsonElement m) && m.GetString() is { Length: > 0 } name ? name : null;
            usage ??= Usage(chunk);
            foreach (JsonElement choice in chunk.GetProperty("choices").EnumerateArray())
            {
                if (choice.TryGetProperty("finish_reason", out JsonElement f) && f.ValueKind == JsonValueKind.String)
                {
                    finish = f.GetString();
                }

                if (!choice.TryGetProperty("delta", out JsonElement delta))
                {
                    continue;
                }

                if (delta.TryGetProperty("content", out JsonElement content) && content.ValueKind == JsonValueKind.String)
                {
                    text.Append(content.GetString());
                }

                if (delta.TryGetProperty("tool_calls", out JsonElement toolCalls))
                {
                    foreach (JsonElement call in toolCalls.EnumerateArray())
                    {
                        int index = call.GetProperty("index").GetInt32();
                        var current = calls.TryGetValue(index, out var known) ? known : (Id: string.Empty, Name: string.Empty, Arguments: new StringBuilder());
                        if (call.TryGetProperty("id", out JsonElement id))
                        {
                            current.Id = id.GetString()!;
                        }

                        JsonElement function = call.GetProperty("function");
                        if (function.TryGetProperty("name", out JsonElement functionName))
                        {
                            current.Name = functionName.GetString()!;
                        }

                        current.Arguments.Append(function.TryGetProperty("arguments", out JsonElement arguments) ? arguments.GetString() : null);
                        calls[index] = current;
                    }
                }
            }
        }

        return new ChatOutcome(text.ToString(), finish, [.. calls.Values.Select(c => new ToolCallOutcome(c.Id, c.Name, c.Arguments.ToString()))], usage, model);
    }

    private static EmbeddingOutcome Embeddings(JsonElement body)
    {
        var vectors = body.GetProperty("data").EnumerateArray()
            .OrderBy(d => d.GetProperty("index").GetInt32())
            .Select(d => d.GetProperty("embedding"))
            .Select(e => e.ValueKind == JsonValueKind.String ? DecodeBase64(e.GetString()!) : [.. e.EnumerateArray().Select(v => v.GetSingle())])
            .ToList();
        return new EmbeddingOutcome(vectors, Usage(body), body.GetProperty("model").GetString());
    }

    private static UsageOutcome? Usage(JsonElement body)
    {
        if (!body.TryGetProperty("usage", out JsonElement usage) || usage.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        long Read(string name) => usage.TryGetProperty(name, out JsonElement value) ? value.GetInt64() : 0;
        return new UsageOutcome(Read("prompt_tokens"), Read("completion_tokens"), Read("total_tokens"));
    }

    // Base64 of little-endian float32 values, as the service encodes embeddings.
    private static float[] DecodeBase64(string base64)
    {
        byte[] bytes = Convert.FromBase64String(base64);
        var vector = new float[bytes.Length / sizeof(float)];
        for (int i = 0; i < vector.Length; i++)
        {
            vector[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * sizeof(float)));
        }

        return vector;
    }
}
