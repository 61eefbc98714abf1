using System.Net;

namespace SecureAoai.AspNetCore;

/// <summary>
/// An overlay address for Kestrel: a bound service (<see cref="Identity"/> is <see langword="null"/>),
/// or the identity at the other end of a connection to it. Kestrel listens on one with
/// <c>KestrelServerOptions.Listen(new OverlayEndPoint("chatapp"))</c> once <c>UseOverlay</c> has
/// registered the overlay transport; <c>UseOverlay</c> does this for every bound service.
/// </summary>
public sealed class OverlayEndPoint : EndPoint, IEquatable<OverlayEndPoint>
{
    /// <summary>Creates the address of a bound service.</summary>
    /// <param name="service">The overlay service's name.</param>
    public OverlayEndPoint(string service)
        : this(service, null)
    {
    }

    /// <summary>Creates the address of an identity connected to a service.</summary>
    /// <param name="service">The overlay service's name.</param>
    /// <param name="identity">The identity's name; <see langword="null"/> for the service itself.</param>
    public OverlayEndPoint(string service, string? identity)
        : this(service, identity, http2Lane: false)
    {
    }

    /// <summary>The HTTP/2 side of a service that serves HTTP/1.1 and HTTP/2 (see <see cref="Http2Lane"/>).</summary>
    internal OverlayEndPoint(string service, string? identity, bool http2Lane)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        Service = service;
        Identity = identity;
        Http2Lane = http2Lane;
    }

    /// <summary>The overlay service.</summary>
    public string Service { get; }

    /// <summary>The identity at this end; <see langword="null"/> when this is the service itself.</summary>
    public string? Identity { get; }

    /// <summary>
    /// Kestrel picks HTTP/2 on a cleartext endpoint only when it serves HTTP/2 alone, so a service serving
    /// both is two Kestrel endpoints fed by one binding: connections that open with the HTTP/2 preface go
    /// to this lane, all others to the plain one.
    /// </summary>
    internal bool Http2Lane { get; }

    /// <inheritdoc/>
    public bool Equals(OverlayEndPoint? other) =>
        other is not null && string.Equals(Service, other.Service, StringComparison.Ordinal) && string.Equals(Identity, other.Identity, StringComparison.Ordinal) && Http2Lane == other.Http2Lane;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => Equals(obj as OverlayEndPoint);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(StringComparer.Ordinal.GetHashCode(Service), Identity is null ? 0 : StringComparer.Ordinal.GetHashCode(Identity), Http2Lane);

    /// <summary>The address as text: <c>overlay:chatapp</c>, or <c>overlay:alice@chatapp</c> for a caller.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => (Identity is null ? $"overlay:{Service}" : $"overlay:{Identity}@{Service}") + (Http2Lane ? " (h2 prior knowledge)" : string.Empty);
}
