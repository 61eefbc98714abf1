namespace SecureAoai.Overlay;

/// <summary>
/// An administrative request on an overlay failed: <see cref="Problem"/> says why, and for a bad value
/// <see cref="Parameter"/> names the parameter and <see cref="Value"/> holds what was given. The message
/// says what to do, in the library's terms.
/// </summary>
public sealed class OverlayAdministrationException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="problem">Why the request failed.</param>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="parameter">The parameter at fault, if one is.</param>
    /// <param name="value">The value given for it.</param>
    /// <param name="innerException">The failure underneath, if any.</param>
    public OverlayAdministrationException(OverlayAdministrationProblem problem, string message, string? parameter = null, string? value = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Problem = problem;
        Parameter = parameter;
        Value = value;
    }

    /// <summary>Creates the exception with <see cref="OverlayAdministrationProblem.InvalidState"/>.</summary>
    public OverlayAdministrationException()
        : this(OverlayAdministrationProblem.InvalidState, "The administrative request failed.")
    {
    }

    /// <summary>Creates the exception with <see cref="OverlayAdministrationProblem.InvalidState"/>.</summary>
    /// <param name="message">What happened and what to do.</param>
    public OverlayAdministrationException(string message)
        : this(OverlayAdministrationProblem.InvalidState, message)
    {
    }

    /// <summary>Creates the exception with <see cref="OverlayAdministrationProblem.InvalidState"/>.</summary>
    /// <param name="message">What happened and what to do.</param>
    /// <param name="innerException">The failure underneath.</param>
    public OverlayAdministrationException(string message, Exception innerException)
        : this(OverlayAdministrationProblem.InvalidState, message, innerException: innerException)
    {
    }

    /// <summary>Gets why the request failed.</summary>
    public OverlayAdministrationProblem Problem { get; }

    /// <summary>Gets the name of the parameter at fault (as in the method's signature), or <see langword="null"/>.</summary>
    public string? Parameter { get; }

    /// <summary>Gets the value given for <see cref="Parameter"/>, or <see langword="null"/>.</summary>
    public string? Value { get; }
}
