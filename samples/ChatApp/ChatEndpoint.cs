using System.ClientModel;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.AI;

namespace ChatApp;

/// <summary>
/// <c>POST /api/chat</c>: sends the caller's conversation and new message to the model and streams
/// the answer back as server-sent events: <c>data: {"delta":"..."}</c> per piece, then
/// <c>event: done</c> with the whole text, or <c>event: error</c> with a message for the user.
/// </summary>
internal static partial class ChatEndpoint
{
    internal const string SystemPrompt = "You are a helpful assistant. Answer briefly and say when you do not know.";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task HandleAsync(HttpContext context, ChatRequest? request, IChatClient chat, ConversationStore store, ILogger<ChatRequest> logger)
    {
        var message = request?.Message?.Trim();
        if (string.IsNullOrEmpty(message))
        {
            await Results.Problem("The message is empty. Send {\"message\": \"...\"}.", statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(context);
            return;
        }

        if (message.Length > ChatAppLimits.MaxMessageChars)
        {
            await Results.Problem($"The message has {message.Length} characters; the limit is {ChatAppLimits.MaxMessageChars}.", statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(context);
            return;
        }

        var caller = Caller.From(context.User);
        List<ChatMessage> messages = [new(ChatRole.System, SystemPrompt)];
        foreach (var turn in store.History(caller.Name))
        {
            messages.Add(new(turn.Role == ChatTurn.User ? ChatRole.User : ChatRole.Assistant, turn.Text));
        }

        messages.Add(new(ChatRole.User, message));

        var response = context.Response;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await response.StartAsync(context.RequestAborted);

        var answer = new StringBuilder();
        try
        {
            await foreach (var update in chat.GetStreamingResponseAsync(messages, cancellationToken: context.RequestAborted))
            {
                var text = update.Text;
                if (!string.IsNullOrEmpty(text))
                {
                    answer.Append(text);
                    await WriteEventAsync(response, null, new { delta = text }, context.RequestAborted);
                }
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            // The exception explains the cause to the operator (SecureAoai's hold no token or
            // prompt); the caller gets a short message.
            var status = (ex as ClientResultException)?.Status ?? 0;
            LogChatFailed(logger, status, ex);
            var reason = status > 0 ? $" (status {status})" : string.Empty;
            await WriteEventAsync(response, "error", new { message = $"The model could not answer{reason}. Try again later." }, context.RequestAborted);
            return;
        }

        store.Append(caller.Name, new ChatTurn(ChatTurn.User, message), new ChatTurn(ChatTurn.Assistant, answer.ToString()));
        await WriteEventAsync(response, "done", new { text = answer.ToString() }, context.RequestAborted);
    }

    private static async Task WriteEventAsync(HttpResponse response, string? name, object data, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        if (name is not null)
        {
            text.Append("event: ").Append(name).Append('\n');
        }

        text.Append("data: ").Append(JsonSerializer.Serialize(data, Json)).Append("\n\n");
        await response.WriteAsync(text.ToString(), cancellationToken);
        await response.Body.FlushAsync(cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The chat model did not answer (status {Status}).")]
    private static partial void LogChatFailed(ILogger logger, int status, Exception exception);
}
