namespace SecureAoai.Overlay.Router;

/// <summary>
/// The router cannot answer whether a party may do something: its controller has been unreachable
/// for longer than the router may serve from its last snapshot, or does not answer this router at
/// all (revoked or deleted), or is unreachable and the router holds no grant for the request. The
/// router refuses with reason code <c>ControllerUnreachable</c>; the message says which.
/// </summary>
internal sealed class RouterAuthorityUnavailableException : Exception
{
    public RouterAuthorityUnavailableException(string message)
        : base(message)
    {
    }

    public RouterAuthorityUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public RouterAuthorityUnavailableException()
        : base("The router cannot reach its controller.")
    {
    }
}
