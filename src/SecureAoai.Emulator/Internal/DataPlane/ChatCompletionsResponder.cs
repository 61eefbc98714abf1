using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// Answers chat completions deterministically: "Echo from {instance}: {last user message}", whole
/// or streamed one word per event, with usage counted as words. A prompt containing
/// <see cref="ContentFilterMarker"/> is refused as the content filter would.
/// </summary>
internal sealed class ChatCompletionsResponder(EmulatorInstance instance)
{
    /// <summary>Text that makes the prompt "harmful": its request is answered 400 <c>content_filter</c>.</summary>
    public const string ContentFilterMarker = "[[content_filter]]";

    private const string SystemFingerprint = "fp_emulator";
    private const int CompletionIdRandomChars = 29;

    /// <summary>
    /// The tokens Azure's rate limiter would charge on arrival: the prompt, plus the requested
    /// maximum output when given, else the answer this emulator will give.
    /// </summary>
    public int EstimateTokens(DataPlaneRequest request)
    {
        if (ReadMessages(request) is not { } texts)
        {
            return 0;
        }

        int? maxTokens = MaxTokens(request);
        int completion = maxTokens is >= 0 ? maxTokens.Value : TextMetrics.SplitIntoTokenPieces(Answer(texts)).Count;
        return texts.Sum(m => TextMetrics.CountTokens(m.Text)) + completion;
    }

    public Task RespondAsync(HttpContext context, DataPlaneRequest request)
    {
        if (ReadMessages(request) is not { } texts)
        {
            return AzureError.BadRequest("'messages' is a required property and must be a non-empty array.").WriteAsync(context);
        }

        if (texts.Any(m => m.Text.Contains(ContentFilterMarker, StringComparison.Ordinal)))
        {
            return AzureError.ContentFiltered().WriteAsync(context);
        }

        string answer = Answer(texts);
        string finishReason = "stop";

        int? maxTokens = MaxTokens(request);
        IReadOnlyList<string> pieces = TextMetrics.SplitIntoTokenPieces(answer);
        if (maxTokens is int max && max >= 0 && max < pieces.Count)
        {
            pieces = [.. pieces.Take(max)];
            answer = string.Concat(pieces).TrimEnd();
            finishReason = "length";
        }

        var completion = new Completion(
            "chatcmpl-" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", CompletionIdRandomChars),
            DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            request.Deployment,
            texts.Sum(m => TextMetrics.CountTokens(m.Text)),
            pieces.Count,
            finishReason);

        if (request.GetBoolean("stream"))
        {
            bool includeUsage = request.Body.TryGetProperty("stream_options", out JsonElement streamOptions)
                && streamOptions.ValueKind == JsonValueKind.Object
                && streamOptions.TryGetProperty("include_usage", out JsonElement include)
                && include.ValueKind == JsonValueKind.True;
            return StreamAsync(context, completion, pieces, includeUsage, new EventStreamWriter(context, instance));
        }

        var body = completion.Header("chat.completion");
        body["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = answer, ["refusal"] = null },
            ["logprobs"] = null,
            ["finish_reason"] = finishReason,
        });
        body["usage"] = completion.Usage();
        return context.Response.WriteJsonAsync(body, context.RequestAborted);
    }

    private static async Task StreamAsync(HttpContext context, Completion completion, IReadOnlyList<string> pieces, bool includeUsage, EventStreamWriter events)
    {
        HttpResponse response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";

        // Each write returns false once an injected cut has aborted the connection.
        if (!await events.WriteEventAsync(completion.Chunk(new JsonObject { ["role"] = "assistant", ["content"] = string.Empty }, null, includeUsage)).ConfigureAwait(false))
        {
            return;
        }

        foreach (string piece in pieces)
        {
            if (!await events.WriteEventAsync(completion.Chunk(new JsonObject { ["content"] = piece }, null, includeUsage)).ConfigureAwait(false))
            {
                return;
            }
        }

        if (!await events.WriteEventAsync(completion.Chunk(new JsonObject(), completion.FinishReason, includeUsage)).ConfigureAwait(false))
        {
            return;
        }

        if (includeUsage)
        {
            JsonObject usage = completion.Header("chat.completion.chunk");
            usage["choices"] = new JsonArray();
            usage["usage"] = completion.Usage();
            if (!await events.WriteEventAsync(usage).ConfigureAwait(false))
            {
                return;
            }
        }

        await events.WriteAsync("data: [DONE]\n\n").ConfigureAwait(false);
    }

    private static List<(string? Role, string Text)>? ReadMessages(DataPlaneRequest request) =>
        request.Body.TryGetProperty("messages", out JsonElement messages) && messages.ValueKind == JsonValueKind.Array && messages.GetArrayLength() > 0
            ? [.. messages.EnumerateArray().Select(m => (ReadRole(m), ReadContent(m)))]
            : null;

    private string Answer(List<(string? Role, string Text)> texts)
    {
        string prompt = texts.LastOrDefault(m => m.Role == "user").Text ?? texts[^1].Text;
        return $"Echo from {instance.Name}: {prompt}";
    }

    private static int? MaxTokens(DataPlaneRequest request) => request.GetInt32("max_completion_tokens") ?? request.GetInt32("max_tokens");

    private static string? ReadRole(JsonElement message) =>
        message.ValueKind == JsonValueKind.Object && message.TryGetProperty("role", out JsonElement role) && role.ValueKind == JsonValueKind.String
            ? role.GetString()
            : null;

    // Content is a string, or an array of parts of which only the text parts count.
    private static string ReadContent(JsonElement message)
    {
        if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out JsonElement content))
        {
            return string.Empty;
        }

        return content.ValueKind switch
        {
            JsonValueKind.String => content.GetString() ?? string.Empty,
            JsonValueKind.Array => string.Join(
                " ",
                content.EnumerateArray()
                    .Where(part => part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out JsonElement t) && t.ValueKind == JsonValueKind.String)
                    .Select(part => part.GetProperty("text").GetString())),
            _ => string.Empty,
        };
    }

    private sealed record Completion(string Id, long Created, string Model, int PromptTokens, int CompletionTokens, string FinishReason)
    {
        public JsonObject Header(string objectType) => new()
        {
            ["id"] = Id,
            ["object"] = objectType,
            ["created"] = Created,
            ["model"] = Model,
            ["system_fingerprint"] = SystemFingerprint,
        };

        public JsonObject Usage() => new()
        {
            ["prompt_tokens"] = PromptTokens,
            ["completion_tokens"] = CompletionTokens,
            ["total_tokens"] = PromptTokens + CompletionTokens,
        };

        public JsonObject Chunk(JsonObject delta, string? finishReason, bool includeUsage)
        {
            JsonObject chunk = Header("chat.completion.chunk");
            chunk["choices"] = new JsonArray(new JsonObject
            {
                ["index"] = 0,
                ["delta"] = delta,
                ["logprobs"] = null,
                ["finish_reason"] = finishReason,
            });
            if (includeUsage)
            {
                // OpenAI sends "usage": null on every chunk but the last when usage is requested.
                chunk["usage"] = null;
            }

            return chunk;
        }
    }
}
