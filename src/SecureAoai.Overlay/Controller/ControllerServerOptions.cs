namespace SecureAoai.Overlay.Controller;

/// <summary>
/// Limits of the controller's network API (<see cref="ControllerServer"/>). Enrollment has no client
/// certificate yet, so anyone who can reach the port gets this far: every limit here bounds what an
/// unauthenticated caller can hold.
/// </summary>
internal sealed class ControllerServerOptions
{
    public const int DefaultMaxConnections = 256;
    public const int DefaultMaxConnectionsPerSource = 16;
    public const int DefaultMaxRequestsPerConnection = 64;
    public const int DefaultMaxRequestsWithoutClientCertificate = 2;
    public static readonly TimeSpan DefaultConnectionTimeout = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan DefaultReadTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Connections served at once, from all sources; more are closed at once. The default value is 256.</summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>
    /// Connections served at once from one source: an IPv4 address, or an IPv6 /64 (what one host
    /// is usually given). More from that source are closed at once. The default value is 16.
    /// </summary>
    public int MaxConnectionsPerSource { get; init; } = DefaultMaxConnectionsPerSource;

    /// <summary>Requests on one connection that presented an overlay client certificate. The default value is 64.</summary>
    public int MaxRequestsPerConnection { get; init; } = DefaultMaxRequestsPerConnection;

    /// <summary>
    /// Requests on one connection without a client certificate (<c>ca</c>, then <c>enroll</c>, need
    /// no more). The default value is 2.
    /// </summary>
    public int MaxRequestsWithoutClientCertificate { get; init; } = DefaultMaxRequestsWithoutClientCertificate;

    /// <summary>
    /// How long one connection may last in all, TLS handshake included, however busy it is; it is
    /// closed then. The default value is 30 seconds.
    /// </summary>
    public TimeSpan ConnectionTimeout { get; init; } = DefaultConnectionTimeout;

    /// <summary>How long the TLS handshake, and then each request, may take to arrive. The default value is 10 seconds.</summary>
    public TimeSpan ReadTimeout { get; init; } = DefaultReadTimeout;

    /// <summary>Refuses a value that would make the server unusable or unbounded, naming the setting.</summary>
    internal void Validate()
    {
        Positive(MaxConnections, nameof(MaxConnections));
        Positive(MaxConnectionsPerSource, nameof(MaxConnectionsPerSource));
        Positive(MaxRequestsPerConnection, nameof(MaxRequestsPerConnection));
        Positive(MaxRequestsWithoutClientCertificate, nameof(MaxRequestsWithoutClientCertificate));
        if (ConnectionTimeout <= TimeSpan.Zero || ReadTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(
                ConnectionTimeout <= TimeSpan.Zero ? nameof(ConnectionTimeout) : nameof(ReadTimeout),
                $"ControllerServerOptions.ConnectionTimeout ({ConnectionTimeout}) and ReadTimeout ({ReadTimeout}) must be more than zero.");
        }
    }

    private static void Positive(int value, string name)
    {
        if (value < 1)
        {
            throw new ArgumentOutOfRangeException(name, value, $"ControllerServerOptions.{name} must be at least 1.");
        }
    }
}
