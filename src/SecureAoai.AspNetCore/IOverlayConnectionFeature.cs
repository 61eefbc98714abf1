using SecureAoai.Overlay;

namespace SecureAoai.AspNetCore;

/// <summary>
/// On every connection that arrived through the overlay: who dialed and which service. Read it with
/// <c>HttpContext.Features.Get&lt;IOverlayConnectionFeature&gt;()</c>; it is absent on any other connection.
/// </summary>
public interface IOverlayConnectionFeature
{
    /// <summary>The caller, as the controller knows it: the identity's name and role attributes.</summary>
    OverlayCaller Caller { get; }

    /// <summary>The overlay service the caller dialed.</summary>
    string Service { get; }
}
