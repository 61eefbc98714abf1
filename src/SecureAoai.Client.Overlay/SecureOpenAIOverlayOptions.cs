using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Client.Overlay;

/// <summary>
/// How <c>UseOverlay</c> reaches endpoints over the overlay: the identity it dials as, and which
/// endpoint hosts map to which overlay services. Set exactly one of <see cref="IdentityFile"/>,
/// <see cref="Identity"/> or <see cref="Transport"/>, and intercept at least one host.
/// </summary>
/// <example>
/// <code>
/// builder.AddSecureOpenAI().UseOverlay(o =>
/// {
///     o.IdentityFile = "chatapp.json";
///     o.Intercept("contoso-east.openai.azure.com", "aoai-east");
/// });
/// </code>
/// </example>
public sealed class SecureOpenAIOverlayOptions
{
    private readonly Dictionary<string, string> _intercepts = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The enrolled identity file to load (see <c>secureaoai overlay enroll</c>). The service
    /// provider owns the context made from it (and the identity) and disposes it with itself. The
    /// default value is <see langword="null"/>.
    /// </summary>
    public string? IdentityFile { get; set; }

    /// <summary>
    /// An identity already loaded; the service provider owns the context it makes from it but does
    /// not dispose the identity. The default value is <see langword="null"/>.
    /// </summary>
    public OverlayIdentity? Identity { get; set; }

    /// <summary>
    /// The overlay to dial through, shared with the rest of the process: an <see cref="OverlayContext"/>
    /// (for example the one a dark-hosted app binds with) or any other <see cref="IOverlayTransport"/>,
    /// such as an adapter to a different overlay network. It is used but never disposed by the service
    /// provider, and <see cref="ContextOptions"/> is ignored. The default value is <see langword="null"/>.
    /// </summary>
    public IOverlayTransport? Transport { get; set; }

    /// <summary>
    /// Settings of the context made from <see cref="IdentityFile"/> or <see cref="Identity"/>, such
    /// as <see cref="OverlayContextOptions.RouterAddress"/>. The default value is the defaults of <see cref="OverlayContextOptions"/>.
    /// </summary>
    public OverlayContextOptions ContextOptions { get; set; } = new();

    /// <summary>The intercepted hosts (<c>host</c> for any port, or <c>host:port</c>) and the overlay service each one dials.</summary>
    public IReadOnlyDictionary<string, string> Intercepts => _intercepts;

    /// <summary>
    /// Reaches <paramref name="host"/> by dialing <paramref name="service"/> instead of resolving it
    /// and connecting by TCP. No DNS lookup and no network policy apply to it (the overlay is the
    /// private path); TLS to the endpoint still checks its certificate against the host name.
    /// </summary>
    /// <param name="host">An endpoint's host name (any port), or <c>host:port</c> for that port only.</param>
    /// <param name="service">The overlay service that reaches the endpoint, such as <c>aoai-east</c>.</param>
    /// <returns>These options, to chain further calls.</returns>
    /// <exception cref="ArgumentException">The host or service is empty, the host has a scheme or path, or it is already intercepted.</exception>
    public SecureOpenAIOverlayOptions Intercept(string host, string service)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentException.ThrowIfNullOrWhiteSpace(service);
        if (!Uri.TryCreate("https://" + host, UriKind.Absolute, out var parsed) || parsed.PathAndQuery != "/" || !string.IsNullOrEmpty(parsed.UserInfo))
        {
            throw new ArgumentException($"'{host}' is not a host name with an optional port; give the endpoint's host as in contoso-east.openai.azure.com or localhost:5001, without scheme or path.", nameof(host));
        }

        if (!_intercepts.TryAdd(host, service))
        {
            throw new ArgumentException($"'{host}' is already intercepted (to the service '{_intercepts[host]}').", nameof(host));
        }

        return this;
    }

    /// <summary>Reaches the host and port of <paramref name="endpoint"/> by dialing <paramref name="service"/>; see <see cref="Intercept(string, string)"/>.</summary>
    /// <param name="endpoint">A configured endpoint, such as <c>https://contoso-east.openai.azure.com/</c>.</param>
    /// <param name="service">The overlay service that reaches it.</param>
    /// <returns>These options, to chain further calls.</returns>
    public SecureOpenAIOverlayOptions Intercept(Uri endpoint, string service)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return Intercept(endpoint.IsDefaultPort ? endpoint.IdnHost : $"{endpoint.IdnHost}:{endpoint.Port}", service);
    }

    /// <summary>Checks the options as a whole; called once by <c>UseOverlay</c>.</summary>
    internal void Validate()
    {
        var sources = (IdentityFile is null ? 0 : 1) + (Identity is null ? 0 : 1) + (Transport is null ? 0 : 1);
        if (sources != 1)
        {
            throw new InvalidOperationException(
                $"UseOverlay needs exactly one of SecureOpenAIOverlayOptions.IdentityFile, Identity or Transport; {sources} were set.");
        }

        if (IdentityFile is not null && string.IsNullOrWhiteSpace(IdentityFile))
        {
            throw new InvalidOperationException("SecureOpenAIOverlayOptions.IdentityFile is empty; give the path of an enrolled identity file.");
        }

        if (_intercepts.Count == 0)
        {
            throw new InvalidOperationException(
                "UseOverlay intercepts no endpoint; call SecureOpenAIOverlayOptions.Intercept(\"NAME.openai.azure.com\", \"SERVICE\") for each endpoint to reach over the overlay.");
        }

        ArgumentNullException.ThrowIfNull(ContextOptions, nameof(ContextOptions));
    }
}
