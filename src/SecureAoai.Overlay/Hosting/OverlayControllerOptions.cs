namespace SecureAoai.Overlay;

/// <summary>
/// Settings of an <see cref="OverlayControllerHost"/>: the overlay it serves, where it listens, and the
/// limits of its network API. The controller's port answers before anyone is authenticated
/// (enrollment has no certificate yet), so every limit here bounds what an unauthenticated caller can
/// hold. Checked when the host starts.
/// </summary>
public sealed class OverlayControllerOptions
{
    internal const int DefaultMaxConnections = 256;
    internal const int DefaultMaxConnectionsPerSource = 16;
    internal const int DefaultMaxRequestsPerConnection = 64;
    internal const int DefaultMaxRequestsWithoutClientCertificate = 2;
    internal static readonly TimeSpan DefaultConnectionTimeout = TimeSpan.FromSeconds(30);
    internal static readonly TimeSpan DefaultReadTimeout = TimeSpan.FromSeconds(10);
    internal static readonly TimeSpan DefaultStatePollInterval = TimeSpan.FromMilliseconds(250);
    internal static readonly TimeSpan DefaultRouterWatchTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Gets or sets the overlay's directory (<c>ca.pem</c>, <c>ca.key</c>, <c>overlay.db</c>), made by
    /// <see cref="OverlayAdministration.Initialize"/>. Required.
    /// </summary>
    public string? Directory { get; set; }

    /// <summary>
    /// Gets or sets where the controller listens, <c>HOST:PORT</c> with an IP address or <c>localhost</c>
    /// (port 0 picks a free one). The default value is <see langword="null"/>: the address recorded
    /// when the overlay was initialized, which enrollment tokens name.
    /// </summary>
    public string? ListenAddress { get; set; }

    /// <summary>Gets or sets how many connections are served at once, from all sources; more are closed at once. The default value is 256.</summary>
    public int MaxConnections { get; set; } = DefaultMaxConnections;

    /// <summary>
    /// Gets or sets how many connections are served at once from one source: an IPv4 address, or an
    /// IPv6 /64 (what one host is usually given). More from that source are closed at once. Each
    /// router holds two (requests and its watch). The default value is 16.
    /// </summary>
    public int MaxConnectionsPerSource { get; set; } = DefaultMaxConnectionsPerSource;

    /// <summary>Gets or sets how many requests one connection that presented an overlay client certificate may make. The default value is 64.</summary>
    public int MaxRequestsPerConnection { get; set; } = DefaultMaxRequestsPerConnection;

    /// <summary>
    /// Gets or sets how many requests one connection without a client certificate may make (<c>ca</c>, then
    /// <c>enroll</c>, need no more). The default value is 2.
    /// </summary>
    public int MaxRequestsWithoutClientCertificate { get; set; } = DefaultMaxRequestsWithoutClientCertificate;

    /// <summary>
    /// Gets or sets how long one connection may last in all, TLS handshake included, however busy it is;
    /// it is closed then. The default value is 30 seconds.
    /// </summary>
    public TimeSpan ConnectionTimeout { get; set; } = DefaultConnectionTimeout;

    /// <summary>Gets or sets how long the TLS handshake, and then each request, may take to arrive. The default value is 10 seconds.</summary>
    public TimeSpan ReadTimeout { get; set; } = DefaultReadTimeout;

    /// <summary>
    /// Gets or sets how often the controller checks its database for changes made by anyone (this
    /// process, or the command line in another), and then tells the routers watching it. A revocation or
    /// policy change reaches every router within about this long, plus one round trip. The default value is 250 ms.
    /// </summary>
    public TimeSpan StatePollInterval { get; set; } = DefaultStatePollInterval;

    /// <summary>
    /// Gets or sets the longest a router's watch waits for a change before the controller answers "no
    /// change"; the router then asks again, so this is also how often a quiet controller proves it is
    /// alive. It must be shorter than <see cref="ConnectionTimeout"/>. The default value is 10 seconds.
    /// </summary>
    public TimeSpan RouterWatchTimeout { get; set; } = DefaultRouterWatchTimeout;

    /// <summary>Gets or sets the clock deadlines run on; tests set a fake one. The default value is <see cref="TimeProvider.System"/>.</summary>
    internal TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Refuses a value that would make the controller unusable or unbounded, naming the setting.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit or timer is out of range.</exception>
    internal void ValidateLimits()
    {
        Positive(MaxConnections, nameof(MaxConnections));
        Positive(MaxConnectionsPerSource, nameof(MaxConnectionsPerSource));
        Positive(MaxRequestsPerConnection, nameof(MaxRequestsPerConnection));
        Positive(MaxRequestsWithoutClientCertificate, nameof(MaxRequestsWithoutClientCertificate));
        PositiveTime(ConnectionTimeout, nameof(ConnectionTimeout));
        PositiveTime(ReadTimeout, nameof(ReadTimeout));
        PositiveTime(StatePollInterval, nameof(StatePollInterval));
        PositiveTime(RouterWatchTimeout, nameof(RouterWatchTimeout));
        if (RouterWatchTimeout >= ConnectionTimeout)
        {
            throw new ArgumentOutOfRangeException(nameof(RouterWatchTimeout), RouterWatchTimeout,
                $"OverlayControllerOptions.RouterWatchTimeout ({RouterWatchTimeout}) must be shorter than ConnectionTimeout ({ConnectionTimeout}), or every watch would outlive its connection.");
        }
    }

    private static void Positive(int value, string name)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(name, value, $"OverlayControllerOptions.{name} must be at least 1.");
        }
    }

    private static void PositiveTime(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(name, value, $"OverlayControllerOptions.{name} must be more than zero.");
        }
    }
}
