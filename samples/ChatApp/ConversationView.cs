namespace ChatApp;

/// <summary>The answer to <c>GET /api/conversation</c>.</summary>
/// <param name="Caller">Whose conversation it is.</param>
/// <param name="Messages">The messages, oldest first.</param>
public sealed record ConversationView(string Caller, IReadOnlyList<ChatTurn> Messages);
