namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// The peer reset an open stream: <see cref="Code"/> says why, <see cref="Reason"/> carries its words.
/// Reads of the stream throw it as it arrived (so the code can decide, never the words); users never see
/// this type but as an inner exception.
/// </summary>
internal sealed class MuxStreamResetException : IOException
{
    /// <summary>Initializes a new instance with the peer's reason code and words.</summary>
    /// <param name="code">The peer's reason code.</param>
    /// <param name="reason">The words the peer gave, as received.</param>
    public MuxStreamResetException(ReasonCode code, string reason)
        : base($"The peer reset the stream: {reason}")
    {
        Code = code;
        Reason = reason;
    }

    /// <summary>Gets the peer's reason code, which decides what the reset means.</summary>
    public ReasonCode Code { get; }

    /// <summary>Gets the reason the peer gave, as it sent it (may be empty).</summary>
    public string Reason { get; }
}
