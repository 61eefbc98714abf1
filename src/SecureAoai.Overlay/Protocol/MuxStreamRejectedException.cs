namespace SecureAoai.Overlay.Protocol;

/// <summary>The peer refused to open a stream (it reset the Open); <see cref="Reason"/> carries its words.</summary>
public sealed class MuxStreamRejectedException : IOException
{
    /// <summary>Initializes a new instance with the peer's reason.</summary>
    /// <param name="reason">The reason the peer gave, as received.</param>
    public MuxStreamRejectedException(string reason)
        : base($"The peer refused the stream: {reason}")
    {
        Reason = reason;
    }

    /// <summary>Initializes a new instance with the peer's reason and the exception that caused it.</summary>
    /// <param name="reason">The reason the peer gave.</param>
    /// <param name="innerException">The cause.</param>
    public MuxStreamRejectedException(string reason, Exception innerException)
        : base($"The peer refused the stream: {reason}", innerException)
    {
        Reason = reason;
    }

    /// <summary>Initializes a new instance with the peer's reason code and words.</summary>
    /// <param name="reason">The words the peer gave, as received.</param>
    /// <param name="code">The peer's reason code.</param>
    internal MuxStreamRejectedException(string reason, ReasonCode code)
        : this(reason)
    {
        Code = code;
    }

    /// <summary>Initializes a new instance with no reason.</summary>
    public MuxStreamRejectedException()
        : this(string.Empty)
    {
    }

    /// <summary>Gets the reason the peer gave for refusing the stream, as it sent it (may be empty).</summary>
    public string Reason { get; }

    /// <summary>Gets the peer's reason code, which decides what the refusal means (the words are for people).</summary>
    internal ReasonCode Code { get; } = ReasonCode.Refused;
}
