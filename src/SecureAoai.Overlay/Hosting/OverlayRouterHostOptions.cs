using SecureAoai.Overlay.Router;
using GrantIssuer = SecureAoai.Overlay.Controller.GrantIssuer;
using HostPort = SecureAoai.Overlay.Controller.HostPort;

namespace SecureAoai.Overlay;

/// <summary>
/// Settings of an <see cref="OverlayRouterHost"/>. Give exactly one of <see cref="IdentityFile"/> (a
/// router enrolled with its own identity, asking a controller elsewhere) and <see cref="Controller"/> (a
/// router in the controller's own process, the one-process shortcut). Checked when the host starts.
/// </summary>
public sealed class OverlayRouterHostOptions
{
    internal static readonly TimeSpan DefaultControllerOutageTolerance = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Gets or sets the router's identity file, written by its enrollment
    /// (<see cref="EnrollmentClient.EnrollRouterAsync"/>): all such a router holds. It asks the controller
    /// the file names over mutual TLS who may do what. The default value is <see langword="null"/>.
    /// </summary>
    public string? IdentityFile { get; set; }

    /// <summary>
    /// Gets or sets a controller running in this process, for a router that runs beside it and asks it
    /// directly (<c>secureaoai router run --dir</c>). Such a router is recorded among the controller's
    /// routers under <see cref="Name"/> with <see cref="Roles"/>, and gets a new certificate at each
    /// start. The default value is <see langword="null"/>.
    /// </summary>
    public OverlayControllerHost? Controller { get; set; }

    /// <summary>
    /// Gets or sets the name of a router that runs beside its <see cref="Controller"/>; router policies
    /// select it by it (<c>@router</c>). An enrolled router's name is the one it enrolled with. The default value is <c>router</c>.
    /// </summary>
    public string Name { get; set; } = "router";

    /// <summary>
    /// Gets or sets the role attributes of a router that runs beside its <see cref="Controller"/>, for
    /// router policies. An enrolled router's roles are the ones it was created with. The default value is empty.
    /// </summary>
    public IList<string> Roles { get; } = [];

    /// <summary>
    /// Gets or sets where the router listens, <c>HOST:PORT</c> (port 0 picks one). With
    /// <see cref="Controller"/>, the host is also what the router's certificate names and identities dial,
    /// and the default value is <c>127.0.0.1:0</c>. With <see cref="IdentityFile"/>, the default value is
    /// <see langword="null"/>: the address the router enrolled for; set it to listen elsewhere (such as
    /// <c>0.0.0.0:443</c>) while identities still dial the enrolled address. A DNS name listens on every
    /// IPv4 address.
    /// </summary>
    public string? ListenAddress { get; set; }

    /// <summary>
    /// Gets or sets how long an enrolled router serves from its last snapshot of the controller's policy
    /// when the controller cannot be reached, counted from the controller's last answer. Within it, the
    /// router admits the identities of its snapshot and serves the dials and binds it holds grants for
    /// (those in use are renewed ahead of their expiry, so an outage finds them with most of their life
    /// left); after it, new sessions, dials and binds are refused with
    /// <see cref="OverlayDialFailure.ControllerUnreachable"/>, and streams already open go on. A
    /// revocation made during the outage reaches this router when the controller is back. It must be
    /// positive and at most half the dial grant lifetime (2 minutes). The default value is 60 seconds.
    /// </summary>
    public TimeSpan ControllerOutageTolerance { get; set; } = DefaultControllerOutageTolerance;

    /// <summary>Gets or sets the router's limits and strategy. The default value is <see cref="OverlayRouterOptions"/>' defaults.</summary>
    public OverlayRouterOptions Router { get; set; } = new();

    /// <summary>Gets or sets the clock the outage tolerance and grant ages run on; tests set a fake one. The default value is <see cref="TimeProvider.System"/>.</summary>
    internal TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Refuses options that cannot run a router, naming the setting.</summary>
    internal void Validate()
    {
        if ((IdentityFile is null) == (Controller is null))
        {
            throw new InvalidOperationException(
                "Give exactly one of OverlayRouterHostOptions.IdentityFile (an enrolled router) and OverlayRouterHostOptions.Controller (a router beside its controller in this process).");
        }

        if (ListenAddress is { } listen && !HostPort.TryParse(listen, out _, out _, allowAnyPort: true))
        {
            throw new InvalidOperationException($"OverlayRouterHostOptions.ListenAddress '{listen}' is not HOST:PORT.");
        }

        if (ControllerOutageTolerance <= TimeSpan.Zero || ControllerOutageTolerance > GrantIssuer.DialGrantLifetime / 2)
        {
            throw new ArgumentOutOfRangeException(nameof(ControllerOutageTolerance), ControllerOutageTolerance,
                $"OverlayRouterHostOptions.ControllerOutageTolerance must be more than zero and at most {(GrantIssuer.DialGrantLifetime / 2).TotalSeconds:0} s (half a dial grant's lifetime), beyond which the dial grants a router holds would expire before the tolerance does.");
        }

        ArgumentNullException.ThrowIfNull(Router, nameof(Router));
        Router.Validate();
    }
}
