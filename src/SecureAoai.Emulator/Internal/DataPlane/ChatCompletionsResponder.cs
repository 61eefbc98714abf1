using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>
/// Answers chat completions deterministically: "Echo from {instance}: {last user message}", whole
/// or streamed one word per event, with usage counted as words, in the shapes Azure sends (content
/// filter annotations, the model version in <c>model</c>). A prompt containing
/// <see cref="ContentFilterMarker"/> is refused as the prompt filter would; an answer reaching one of
/// the deployment's <see cref="EmulatorDeployment.OutputFilterTriggers"/> is stopped by the output filter.
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

        Completion completion = Complete(request, texts);
        if (request.GetBoolean("stream"))
        {
            bool includeUsage = request.Body.TryGetProperty("stream_options", out JsonElement streamOptions)
                && streamOptions.ValueKind == JsonValueKind.Object
                && streamOptions.TryGetProperty("include_usage", out JsonElement include)
                && include.ValueKind == JsonValueKind.True;
            return StreamAsync(context, completion, includeUsage, new EventStreamWriter(context, instance));
        }

        JsonObject message = new() { ["content"] = completion.Filtered ? null : completion.Text, ["role"] = "assistant" };
        if (completion.NewerShape)
        {
            message["refusal"] = null;
        }

        JsonObject body = completion.Header("chat.completion");
        body["choices"] = new JsonArray(new JsonObject
        {
            ["content_filter_results"] = ContentFilterResults.Choice(completion.Filtered),
            ["finish_reason"] = completion.FinishReason,
            ["index"] = 0,
            ["logprobs"] = null,
            ["message"] = message,
        });
        body["prompt_filter_results"] = ContentFilterResults.Prompt();
        body["usage"] = completion.Usage();
        return context.Response.WriteJsonAsync(body, context.RequestAborted);
    }

    /// <summary>
    /// The answer: the echo, cut at <c>max_tokens</c> (finish <c>length</c>) or before an output
    /// filter trigger (finish <c>content_filter</c>; only the words before it are generated).
    /// </summary>
    private Completion Complete(DataPlaneRequest request, List<(string? Role, string Text)> texts)
    {
        string answer = Answer(texts);
        string finishReason = "stop";
        bool filtered = false;
        IReadOnlyList<string> pieces = TextMetrics.SplitIntoTokenPieces(answer);
        if (request.Deployment.OutputFilterIndex(answer) is int cut)
        {
            // Whole words only: the word holding the trigger is never sent.
            int kept = 0;
            for (int length = 0; kept < pieces.Count && length + pieces[kept].Length <= cut; kept++)
            {
                length += pieces[kept].Length;
            }

            pieces = [.. pieces.Take(kept)];
            finishReason = "content_filter";
            filtered = true;
        }

        int? maxTokens = MaxTokens(request);
        if (maxTokens is int max && max >= 0 && max < pieces.Count)
        {
            pieces = [.. pieces.Take(max)];
            finishReason = "length";
            filtered = false;
        }

        return new Completion(
            "chatcmpl-" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", CompletionIdRandomChars),
            DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            request.Deployment.Model,
            texts.Sum(m => TextMetrics.CountTokens(m.Text)),
            pieces,
            finishReason,
            filtered,
            request.HasUsageDetails);
    }

    /// <summary>
    /// Streams as Azure does with the default content filter: the prompt filter results in an event
    /// of their own (empty id, model and object, created 0, no choices), the role, one chunk per
    /// word with its filter results, the finish, the usage when asked for, then <c>[DONE]</c>.
    /// </summary>
    private static async Task StreamAsync(HttpContext context, Completion completion, bool includeUsage, EventStreamWriter events)
    {
        context.Response.ContentType = "text/event-stream; charset=utf-8";

        var promptResults = new JsonObject
        {
            ["choices"] = new JsonArray(),
            ["created"] = 0,
            ["id"] = string.Empty,
            ["model"] = string.Empty,
            ["object"] = string.Empty,
            ["prompt_filter_results"] = ContentFilterResults.Prompt(),
        };

        // Each write returns false once an injected cut has aborted the connection.
        if (!await events.WriteEventAsync(promptResults).ConfigureAwait(false))
        {
            return;
        }

        JsonObject role = new() { ["content"] = string.Empty, ["role"] = "assistant" };
        if (completion.NewerShape)
        {
            role["refusal"] = null;
        }

        if (!await events.WriteEventAsync(completion.Chunk(role, [], null, includeUsage)).ConfigureAwait(false))
        {
            return;
        }

        foreach (string piece in completion.Pieces)
        {
            if (!await events.WriteEventAsync(completion.Chunk(new JsonObject { ["content"] = piece }, ContentFilterResults.Chunk(), null, includeUsage)).ConfigureAwait(false))
            {
                return;
            }
        }

        // A filtered answer's last chunk names the category that stopped it.
        JsonObject finishResults = completion.Filtered ? ContentFilterResults.Chunk(filtered: true) : [];
        if (!await events.WriteEventAsync(completion.Chunk([], finishResults, completion.FinishReason, includeUsage)).ConfigureAwait(false))
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

    private sealed record Completion(
        string Id,
        long Created,
        string Model,
        int PromptTokens,
        IReadOnlyList<string> Pieces,
        string FinishReason,
        bool Filtered,
        bool NewerShape)
    {
        /// <summary>The text sent: a cut answer loses the space before the cut, a whole one is sent as is.</summary>
        public string Text => FinishReason == "stop" ? string.Concat(Pieces) : string.Concat(Pieces).TrimEnd();

        public JsonObject Header(string objectType) => new()
        {
            ["created"] = Created,
            ["id"] = Id,
            ["model"] = Model,
            ["object"] = objectType,
            ["system_fingerprint"] = SystemFingerprint,
        };

        public JsonObject Usage()
        {
            var usage = new JsonObject
            {
                ["completion_tokens"] = Pieces.Count,
                ["prompt_tokens"] = PromptTokens,
                ["total_tokens"] = PromptTokens + Pieces.Count,
            };
            if (NewerShape)
            {
                usage["completion_tokens_details"] = new JsonObject
                {
                    ["accepted_prediction_tokens"] = 0,
                    ["audio_tokens"] = 0,
                    ["reasoning_tokens"] = 0,
                    ["rejected_prediction_tokens"] = 0,
                };
                usage["prompt_tokens_details"] = new JsonObject { ["audio_tokens"] = 0, ["cached_tokens"] = 0 };
            }

            return usage;
        }

        public JsonObject Chunk(JsonObject delta, JsonObject contentFilterResults, string? finishReason, bool includeUsage)
        {
            JsonObject chunk = Header("chat.completion.chunk");
            chunk["choices"] = new JsonArray(new JsonObject
            {
                ["content_filter_results"] = contentFilterResults,
                ["delta"] = delta,
                ["finish_reason"] = finishReason,
                ["index"] = 0,
                ["logprobs"] = null,
            });
            if (includeUsage)
            {
                // Azure sends "usage": null on every chunk but the last when usage is requested.
                chunk["usage"] = null;
            }

            return chunk;
        }
    }
}
