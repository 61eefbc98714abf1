using System.Text.Json;

namespace SecureAoai.Testing.Recordings;

/// <summary>
/// The order of a chat completion stream's events, by the role each event plays: Azure's prompt
/// filter results first, then the role, content or tool-call deltas, the finish, the content filter
/// annotations (asynchronous filter), the usage, and <c>[DONE]</c>.
/// </summary>
internal static class EventStreamShape
{
    public const string PromptFilter = "prompt-filter";
    public const string Role = "role";
    public const string Content = "content";
    public const string ToolCall = "tool-call";
    public const string Finish = "finish";
    public const string FilterAnnotation = "filter-annotation";
    public const string Usage = "usage";
    public const string Done = "[DONE]";

    /// <summary>What one event (its JSON payload, or <see langword="null"/> for <c>[DONE]</c>) is.</summary>
    public static string Label(JsonElement? payload)
    {
        if (payload is not { } chunk)
        {
            return Done;
        }

        JsonElement choices = chunk.GetProperty("choices");
        if (choices.GetArrayLength() == 0)
        {
            return chunk.TryGetProperty("prompt_filter_results", out _) ? PromptFilter
                : chunk.TryGetProperty("usage", out JsonElement usage) && usage.ValueKind == JsonValueKind.Object ? Usage
                : "empty";
        }

        JsonElement choice = choices[0];
        if (choice.TryGetProperty("content_filter_offsets", out _))
        {
            return FilterAnnotation;
        }

        if (choice.TryGetProperty("finish_reason", out JsonElement finish) && finish.ValueKind == JsonValueKind.String)
        {
            return Finish;
        }

        JsonElement delta = choice.TryGetProperty("delta", out JsonElement d) ? d : default;
        return delta.ValueKind != JsonValueKind.Object ? "other"
            : delta.TryGetProperty("role", out _) ? Role
            : delta.TryGetProperty("tool_calls", out _) ? ToolCall
            : delta.TryGetProperty("content", out _) ? Content
            : "other";
    }

    /// <summary>The labels in order, with runs of one label collapsed to one: e.g. prompt-filter, role, content, finish, usage, [DONE].</summary>
    public static IReadOnlyList<string> Order(IEnumerable<JsonElement?> payloads)
    {
        var order = new List<string>();
        foreach (string label in payloads.Select(Label))
        {
            if (order.Count == 0 || order[^1] != label)
            {
                order.Add(label);
            }
        }

        return order;
    }

    /// <summary>The first event with each label, the model the other events of that label are compared with.</summary>
    public static IReadOnlyDictionary<string, JsonElement> FirstOfEach(IEnumerable<JsonElement> payloads)
    {
        var first = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (JsonElement payload in payloads)
        {
            first.TryAdd(Label(payload), payload);
        }

        return first;
    }
}
