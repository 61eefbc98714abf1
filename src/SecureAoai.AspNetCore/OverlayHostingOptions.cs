using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using SecureAoai.Overlay;

namespace SecureAoai.AspNetCore;

/// <summary>
/// How a web app is hosted on the overlay: which identity it acts as, which services it binds, and
/// whether it refuses every other binding (dark mode). Set exactly one of <see cref="IdentityFile"/>,
/// <see cref="Identity"/> or <see cref="Transport"/>, and bind at least one service.
/// </summary>
/// <example>
/// <code>
/// builder.WebHost.UseOverlay(o =>
/// {
///     o.IdentityFile = "chatapp.json";
///     o.Bind("chatapp");
/// });
/// </code>
/// </example>
public sealed class OverlayHostingOptions
{
    private readonly List<string> _services = [];

    /// <summary>
    /// The enrolled identity file to load (see <c>secureaoai overlay enroll</c>). The app owns the
    /// identity and context made from it and disposes them when the server stops. The default value is <see langword="null"/>.
    /// </summary>
    public string? IdentityFile { get; set; }

    /// <summary>
    /// An identity already loaded; the app makes its own context from it but does not dispose the
    /// identity. The default value is <see langword="null"/>.
    /// </summary>
    public OverlayIdentity? Identity { get; set; }

    /// <summary>
    /// The overlay to bind on, shared with the rest of the process: an <see cref="OverlayContext"/>
    /// (the embedded overlay, as tests and the in-process quick start use it), or another
    /// <see cref="IOverlayTransport"/> such as an adapter to a different overlay network. The app binds
    /// through it but never disposes it. <see cref="ContextOptions"/> is then ignored. The default value is <see langword="null"/>.
    /// </summary>
    public IOverlayTransport? Transport { get; set; }

    /// <summary>
    /// Settings of the context the app makes from <see cref="IdentityFile"/> or <see cref="Identity"/>,
    /// such as <see cref="OverlayContextOptions.RouterAddress"/> to skip asking the controller. The default value is the defaults of <see cref="OverlayContextOptions"/>.
    /// </summary>
    public OverlayContextOptions ContextOptions { get; set; } = new();

    /// <summary>
    /// Whether start-up fails when any binding other than the overlay's is configured (the <c>urls</c>
    /// setting, <c>ASPNETCORE_URLS</c>, <c>--urls</c>, <c>http_ports</c>/<c>https_ports</c>,
    /// <c>Kestrel:Endpoints</c>, or a <c>Listen*</c> call in code: TCP, QUIC (HTTP/3), Unix socket, handle
    /// or named pipe), or when the web server is not Kestrel, so the app is reachable only through the
    /// overlay. The default value is <see langword="true"/>.
    /// </summary>
    public bool DarkMode { get; set; } = true;

    /// <summary>
    /// The HTTP versions served on each overlay binding. HTTP/1.1 is always understood; HTTP/2 is used
    /// when the client starts with the HTTP/2 preface (prior knowledge, as there is no TLS handshake
    /// to negotiate it: the overlay seals the stream end to end). The default value is <see cref="HttpProtocols.Http1AndHttp2"/>.
    /// </summary>
    public HttpProtocols Protocols { get; set; } = HttpProtocols.Http1AndHttp2;

    /// <summary>
    /// The names a request that comes through the overlay may carry in its Host header; a request with
    /// any other Host is refused with 400 before the app sees it. A name or address (<c>localhost</c>,
    /// <c>127.0.0.1</c>, <c>[::1]</c>, <c>chatapp.example</c>) allows every port; with a port
    /// (<c>127.0.0.1:8080</c>) only that one. The services bound are always allowed (an
    /// <see cref="HttpClient"/> dialing <c>http://chatapp/</c> sends <c>Host: chatapp</c>), and <c>*</c>
    /// alone allows anything. This is what keeps a DNS-rebinding page out: a browser tunnel listens on
    /// loopback, and a page whose own name an attacker re-points at 127.0.0.1 reaches it with that name
    /// as Host and could read the answers. Clear the list and add your tunnel's exact address to narrow
    /// it further. The default value is <c>localhost</c>, <c>127.0.0.1</c> and <c>[::1]</c>, any port.
    /// </summary>
    public IList<string> AllowedHosts { get; } = ["localhost", "127.0.0.1", "[::1]"];

    /// <summary>
    /// Whether a state-changing request (any method but GET, HEAD, OPTIONS and TRACE, and any upgrade
    /// such as a WebSocket) that a browser sends from another site is refused with 403 when it comes
    /// through the overlay: one whose <c>Sec-Fetch-Site</c> is <c>cross-site</c> or <c>same-site</c>
    /// (another port of the same host is the same site), or whose <c>Origin</c> is not the app's own.
    /// Every page the user opens can reach a loopback tunnel, which dials as the user; this keeps such
    /// a page from posting to the app (an upload, a delete) in the user's name. Clients that are not
    /// browsers send neither header and are not affected. The default value is <see langword="true"/>.
    /// </summary>
    public bool RefuseCrossSiteRequests { get; set; } = true;

    /// <summary>The services bound, in the order given to <see cref="Bind"/>.</summary>
    public IReadOnlyList<string> Services => _services;

    /// <summary>Serves <paramref name="service"/>: its dials become the app's connections.</summary>
    /// <param name="service">The overlay service's name, for example <c>chatapp</c>.</param>
    /// <returns>These options, to chain further calls.</returns>
    /// <exception cref="ArgumentException">The name is empty or already bound.</exception>
    public OverlayHostingOptions Bind(string service)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        if (_services.Contains(service, StringComparer.Ordinal))
        {
            throw new ArgumentException($"The overlay service '{service}' is already bound by this app.", nameof(service));
        }

        _services.Add(service);
        return this;
    }

    /// <summary>Checks the options as a whole; called once by <c>UseOverlay</c>.</summary>
    internal void Validate()
    {
        var sources = (IdentityFile is null ? 0 : 1) + (Identity is null ? 0 : 1) + (Transport is null ? 0 : 1);
        if (sources != 1)
        {
            throw new InvalidOperationException(
                $"UseOverlay needs exactly one of OverlayHostingOptions.IdentityFile, Identity or Transport; {sources} were set.");
        }

        if (IdentityFile is not null && string.IsNullOrWhiteSpace(IdentityFile))
        {
            throw new InvalidOperationException("OverlayHostingOptions.IdentityFile is empty; give the path of an enrolled identity file.");
        }

        if (_services.Count == 0)
        {
            throw new InvalidOperationException("UseOverlay binds no service; call OverlayHostingOptions.Bind(\"name\") at least once.");
        }

        foreach (var host in AllowedHosts)
        {
            if (host != "*" && !IsHostEntry(host))
            {
                throw new InvalidOperationException(
                    $"OverlayHostingOptions.AllowedHosts has '{host}', which is not a host name or address with an optional port " +
                    "(such as localhost, 127.0.0.1:8080 or [::1]); give names without scheme or path, list each one (no wildcards), or '*' alone for any.");
            }
        }

        ArgumentNullException.ThrowIfNull(ContextOptions, nameof(ContextOptions));
        if (!Protocols.HasFlag(HttpProtocols.Http1) && !Protocols.HasFlag(HttpProtocols.Http2))
        {
            throw new InvalidOperationException($"OverlayHostingOptions.Protocols is {Protocols}; an overlay stream carries HTTP/1.1 or HTTP/2 (HTTP/3 needs QUIC).");
        }
    }

    private static bool IsHostEntry(string entry)
    {
        if (string.IsNullOrWhiteSpace(entry) || entry.Contains('/', StringComparison.Ordinal) || entry.Contains('*', StringComparison.Ordinal))
        {
            return false;
        }

        var host = new HostString(entry);
        return host.Host.Length > 0 && Uri.CheckHostName(host.Host.Trim('[', ']')) != UriHostNameType.Unknown
            && (entry.EndsWith(']') || !entry.Contains(':', StringComparison.Ordinal) || host.Port is > 0);
    }
}
