namespace SecureAoai.Overlay;

/// <summary>Enrollment with a one-time token failed; <see cref="Reason"/> says why, the message says what to do.</summary>
public sealed class OverlayEnrollmentException : Exception
{
    /// <summary>Creates the exception.</summary>
    public OverlayEnrollmentException(OverlayEnrollmentFailure reason, string message, Exception? innerException = null)
        : base(message, innerException) => Reason = reason;

    /// <summary>Creates the exception with <see cref="OverlayEnrollmentFailure.Refused"/>.</summary>
    public OverlayEnrollmentException()
        : this(OverlayEnrollmentFailure.Refused, "Enrollment failed.")
    {
    }

    /// <summary>Creates the exception with <see cref="OverlayEnrollmentFailure.Refused"/>.</summary>
    public OverlayEnrollmentException(string message)
        : this(OverlayEnrollmentFailure.Refused, message)
    {
    }

    /// <summary>Creates the exception with <see cref="OverlayEnrollmentFailure.Refused"/>.</summary>
    public OverlayEnrollmentException(string message, Exception innerException)
        : this(OverlayEnrollmentFailure.Refused, message, innerException)
    {
    }

    /// <summary>Why enrollment failed.</summary>
    public OverlayEnrollmentFailure Reason { get; }
}
