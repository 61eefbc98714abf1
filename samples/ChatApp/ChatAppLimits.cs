namespace ChatApp;

/// <summary>The chat app's bounds, so one caller cannot grow the server's memory or a prompt without limit.</summary>
public static class ChatAppLimits
{
    /// <summary>Messages kept per conversation (user and assistant together); the oldest are dropped first.</summary>
    public const int MaxMessagesPerConversation = 40;

    /// <summary>Conversations kept at once; the one used least recently is dropped first.</summary>
    public const int MaxConversations = 1000;

    /// <summary>The longest message a caller may send, in characters.</summary>
    public const int MaxMessageChars = 4000;
}
