namespace SecureAoai.Overlay;

/// <summary>Settings of an <see cref="EmbeddedOverlay"/>: where its state goes and where its controller and routers listen. Checked when it starts.</summary>
public sealed class EmbeddedOverlayOptions
{
    /// <summary>
    /// Gets or sets the overlay's directory: a missing or empty one, where the CA, the state and the
    /// identity files enrolled into it are written (readable by the owner only). Required.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>
    /// Gets or sets where the controller listens, <c>HOST:PORT</c> with an IP address (port 0 picks one).
    /// Enrollment tokens name the address it ends up with. The default value is <c>127.0.0.1:0</c>.
    /// </summary>
    public string ControllerAddress { get; set; } = "127.0.0.1:0";

    /// <summary>
    /// Gets the addresses of the routers to run beside the controller, one router per entry, named
    /// <c>router-1</c>, <c>router-2</c>, and so on, in this order (port 0 picks one). Every identity may use
    /// every one of them until a router policy says otherwise. The default value is one router on <c>127.0.0.1:0</c>.
    /// </summary>
    public IList<string> RouterAddresses { get; } = ["127.0.0.1:0"];

    /// <summary>Gets or sets the controller's limits. The default value is <see cref="OverlayControllerOptions"/>' defaults (its directory and address are the ones above).</summary>
    public OverlayControllerOptions Controller { get; set; } = new();

    /// <summary>Gets or sets each router's limits. The default value is <see cref="Router.OverlayRouterOptions"/>' defaults.</summary>
    public Router.OverlayRouterOptions Router { get; set; } = new();
}
