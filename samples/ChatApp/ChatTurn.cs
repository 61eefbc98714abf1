namespace ChatApp;

/// <summary>One message of a conversation.</summary>
/// <param name="Role"><c>user</c> or <c>assistant</c>.</param>
/// <param name="Text">What was said.</param>
public sealed record ChatTurn(string Role, string Text)
{
    /// <summary>The role of the caller's messages.</summary>
    public const string User = "user";

    /// <summary>The role of the model's answers.</summary>
    public const string Assistant = "assistant";
}
