namespace SecureAoai.Overlay;

/// <summary>A dial to an overlay service failed; <see cref="Reason"/> says which way.</summary>
public sealed class OverlayDialException : IOException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="service">The service dialed.</param>
    /// <param name="reason">Why it failed.</param>
    /// <param name="message">The explanation.</param>
    /// <param name="innerException">The cause, if any.</param>
    public OverlayDialException(string service, OverlayDialFailure reason, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Service = service;
        Reason = reason;
    }

    /// <summary>The service dialed.</summary>
    public string Service { get; }

    /// <summary>Why the dial failed.</summary>
    public OverlayDialFailure Reason { get; }
}
