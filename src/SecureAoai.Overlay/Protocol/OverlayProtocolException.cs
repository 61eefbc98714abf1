namespace SecureAoai.Overlay.Protocol;

/// <summary>
/// The peer broke the frame protocol (bad version, type, flags, length or stream id, or a flow-control
/// violation). It ends the one session it happened on and nothing else.
/// </summary>
internal sealed class OverlayProtocolException : Exception
{
    public OverlayProtocolException(string message)
        : base(message)
    {
    }

    public OverlayProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public OverlayProtocolException()
        : base("The peer broke the overlay frame protocol.")
    {
    }
}
