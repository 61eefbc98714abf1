namespace ChatApp;

/// <summary>The body of <c>POST /api/chat</c>.</summary>
/// <param name="Message">What the caller says; at most <see cref="ChatAppLimits.MaxMessageChars"/> characters.</param>
public sealed record ChatRequest(string? Message);
