namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// The peer refused to open a stream (it reset the Open, or closed the session with a reason code):
/// <see cref="Code"/> says why, <see cref="Reason"/> carries its words. The SDK turns it into an
/// <see cref="OverlayDialException"/> by the code; users never see this type but as an inner exception.
/// </summary>
internal sealed class MuxStreamRejectedException : IOException
{
    /// <summary>Initializes a new instance with the peer's reason code and words.</summary>
    /// <param name="reason">The words the peer gave, as received.</param>
    /// <param name="code">The peer's reason code.</param>
    public MuxStreamRejectedException(string reason, ReasonCode code)
        : base($"The peer refused the stream: {reason}")
    {
        Reason = reason;
        Code = code;
    }

    /// <summary>Gets the reason the peer gave for refusing the stream, as it sent it (may be empty).</summary>
    public string Reason { get; }

    /// <summary>Gets the peer's reason code, which decides what the refusal means (the words are for people).</summary>
    public ReasonCode Code { get; }
}
