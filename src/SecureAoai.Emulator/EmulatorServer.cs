using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using SecureAoai.Emulator.Internal;
using SecureAoai.Emulator.Internal.DataPlane;
using SecureAoai.Emulator.Internal.Gateway;
using SecureAoai.Emulator.Internal.Identity;

namespace SecureAoai.Emulator;

/// <summary>
/// A running emulator of the Azure OpenAI data plane (one HTTPS listener per instance), of API
/// Management gateways in front of it (one HTTPS listener each), the managed-identity endpoints (one
/// plain-HTTP listener for IMDS and App Service styles) and the Entra token endpoint (HTTPS), all on
/// 127.0.0.1 with a generated test CA.
/// </summary>
/// <example>
/// <code>
/// await using var server = await EmulatorServer.StartAsync(new EmulatorOptions());
/// Environment.SetEnvironmentVariable("AZURE_POD_IDENTITY_AUTHORITY_HOST", server.ImdsEndpoint.ToString());
/// var endpoint = new Uri(server["eastus"].Endpoint, "openai/v1/");
/// </code>
/// </example>
public sealed class EmulatorServer : IAsyncDisposable
{
    private static readonly TimeSpan DefaultFederatedTokenLifetime = TimeSpan.FromHours(1);
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    private readonly TestCertificateAuthority _ca;
    private readonly X509Certificate2 _serverCertificate;
    private readonly TokenAuthority _tokens;
    private readonly IdentityDirectory _identities;
    private readonly List<WebApplication> _apps = [];
    private readonly List<IDisposable> _owned = [];
    private readonly List<EmulatorGateway> _gateways = [];
    private readonly Dictionary<string, EmulatorInstance> _instancesByName;
    private readonly TimeSpan _tokenLifetime;
    private int _disposed;

    private EmulatorServer(EmulatorOptions options, TestCertificateAuthority ca)
    {
        _ca = ca;
        _serverCertificate = ca.IssueServerCertificate(options.ServerHostNames);
        _tokens = new TokenAuthority(options.TenantId);
        _identities = new IdentityDirectory([.. options.Identities]);
        Instances = [.. options.Instances.Select(i => new EmulatorInstance(i, options.TimeProvider))];
        _instancesByName = Instances.ToDictionary(i => i.Name, StringComparer.OrdinalIgnoreCase);
        AppServiceIdentityHeader = options.AppServiceIdentityHeader;
        _tokenLifetime = options.TokenLifetime;
    }

    /// <summary>The test CA's certificate, without its private key.</summary>
    public X509Certificate2 CaCertificate => _ca.PublicCertificate;

    /// <summary>The PEM file of <see cref="CaCertificate"/>, for clients to add to a custom trust store.</summary>
    public string CaCertificatePath => _ca.CertificatePath;

    /// <summary>The emulated resources, in the order of <see cref="EmulatorOptions.Instances"/>.</summary>
    public IReadOnlyList<EmulatorInstance> Instances { get; }

    /// <summary>The gateways, in the order of <see cref="EmulatorOptions.Gateways"/>.</summary>
    public IReadOnlyList<EmulatorGateway> Gateways => _gateways;

    /// <summary>The base address of the IMDS-style endpoint, <c>http://127.0.0.1:PORT</c>: the value for <c>AZURE_POD_IDENTITY_AUTHORITY_HOST</c>.</summary>
    public Uri ImdsEndpoint { get; private set; } = null!;

    /// <summary>The App Service-style token endpoint, <c>http://127.0.0.1:PORT/msi/token</c>: the value for <c>IDENTITY_ENDPOINT</c>.</summary>
    public Uri AppServiceEndpoint { get; private set; } = null!;

    /// <summary>The secret the App Service-style endpoint expects: the value for <c>IDENTITY_HEADER</c>.</summary>
    public string AppServiceIdentityHeader { get; }

    /// <summary>The Entra-style authority host over TLS, <c>https://localhost:PORT/</c>: the value for <c>AZURE_AUTHORITY_HOST</c>.</summary>
    public Uri AuthorityHost { get; private set; } = null!;

    /// <summary>The tenant id the token service issues for.</summary>
    public string TenantId => _tokens.TenantId;

    /// <summary>The number of access tokens issued by the HTTP token endpoints (not by <see cref="CreateAccessToken"/>).</summary>
    public int TokensIssued => _tokens.TokensIssued;

    /// <summary>Gets the instance with the given name (case-insensitive).</summary>
    /// <param name="name">The instance's <see cref="EmulatorInstanceOptions.Name"/>.</param>
    /// <exception cref="KeyNotFoundException">No instance has that name.</exception>
    public EmulatorInstance this[string name] =>
        _instancesByName.TryGetValue(name, out EmulatorInstance? instance)
            ? instance
            : throw new KeyNotFoundException($"The emulator has no instance '{name}'. Its instances are: {string.Join(", ", _instancesByName.Keys)}.");

    /// <summary>Gets the gateway with the given name (case-insensitive).</summary>
    /// <param name="name">The gateway's <see cref="EmulatorGatewayOptions.Name"/>.</param>
    /// <returns>The running gateway.</returns>
    /// <exception cref="KeyNotFoundException">No gateway has that name.</exception>
    public EmulatorGateway Gateway(string name) =>
        _gateways.FirstOrDefault(g => string.Equals(g.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new KeyNotFoundException($"The emulator has no gateway '{name}'. Its gateways are: {(_gateways.Count == 0 ? "none" : string.Join(", ", _gateways.Select(g => g.Name)))}.");

    /// <summary>
    /// Starts an emulator: loads or generates the test CA, then binds every listener. The options'
    /// empty lists get their documented defaults (the lists are changed in place).
    /// </summary>
    /// <param name="options">The settings; validated before anything listens.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running emulator; dispose it to stop every listener.</returns>
    /// <exception cref="ArgumentException">The options are invalid; the message lists every problem.</exception>
    public static async Task<EmulatorServer> StartAsync(EmulatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        EmulatorOptionsValidator.ApplyDefaultsAndValidate(options);

        var server = new EmulatorServer(options, TestCertificateAuthority.LoadOrCreate(options.CaDirectory));
        try
        {
            await server.StartListenersAsync(options, cancellationToken).ConfigureAwait(false);
            return server;
        }
        catch
        {
            await server.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Creates the JWT a Kubernetes cluster would write to <c>AZURE_FEDERATED_TOKEN_FILE</c>, signed
    /// by the emulator's key for <see cref="EmulatorFederation.Issuer"/>.
    /// </summary>
    /// <param name="federation">The issuer, subject and audience to write.</param>
    /// <param name="lifetime">How long the token is valid; may be negative. The default value is 1 hour.</param>
    /// <returns>The compact JWT.</returns>
    public string CreateFederatedToken(EmulatorFederation federation, TimeSpan? lifetime = null)
    {
        ArgumentNullException.ThrowIfNull(federation);
        return _tokens.CreateFederatedToken(federation, lifetime ?? DefaultFederatedTokenLifetime);
    }

    /// <summary>
    /// Creates an access token as the token service would, without counting it in
    /// <see cref="TokensIssued"/>; for tests of the data plane's token checks.
    /// </summary>
    /// <param name="clientId">The app id; its <see cref="EmulatorIdentity"/>, if any, gives the object id.</param>
    /// <param name="audience">The <c>aud</c> claim. The default value is <c>https://cognitiveservices.azure.com</c>.</param>
    /// <param name="lifetime">How long the token is valid; negative makes an expired token. The default value is <see cref="EmulatorOptions.TokenLifetime"/>.</param>
    /// <param name="includeRole">Whether to include the <c>Cognitive Services OpenAI User</c> role. The default value is <see langword="true"/>.</param>
    /// <returns>The compact JWT.</returns>
    public string CreateAccessToken(string clientId, string audience = "https://cognitiveservices.azure.com", TimeSpan? lifetime = null, bool includeRole = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(clientId);
        ArgumentException.ThrowIfNullOrEmpty(audience);
        EmulatorIdentity identity = _identities.ForApplication(clientId);
        return _tokens.CreateAccessToken(clientId, identity.ObjectId, audience, lifetime ?? _tokenLifetime, includeRole);
    }

    /// <summary>
    /// Revokes every access token issued so far, as a disabled sign-in or a password reset does in
    /// Entra: the data plane answers them with 401 and a claims challenge (continuous access
    /// evaluation style) until the client fetches a new token.
    /// </summary>
    public void RevokeIssuedTokens() => _tokens.RevokeIssuedTokens();

    /// <summary>Stops every listener and frees the keys; deletes the CA folder if it was a temporary one.</summary>
    /// <returns>A task that completes when everything is stopped.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (EmulatorInstance instance in Instances)
        {
            await instance.ShutDownAsync().ConfigureAwait(false);
        }

        using var timeout = new CancellationTokenSource(ShutdownTimeout);
        foreach (WebApplication app in _apps)
        {
            try
            {
                await app.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Connections still open after the timeout (an abandoned stream) are cut by DisposeAsync.
            }

            await app.DisposeAsync().ConfigureAwait(false);
        }

        foreach (IDisposable owned in _owned)
        {
            owned.Dispose();
        }

        _serverCertificate.Dispose();
        _tokens.Dispose();
        _ca.Dispose();
    }

    private async Task StartListenersAsync(EmulatorOptions options, CancellationToken cancellationToken)
    {
        var authorizer = new DataPlaneAuthorizer(_tokens);
        foreach (EmulatorInstance instance in Instances)
        {
            // A new app per start: a stopped Kestrel app cannot be started again.
            instance.UseHost(port =>
            {
                WebApplication app = KestrelHost.Create(port, _serverCertificate, instance.Name, options.RequestLog);
                DataPlaneEndpoints.Map(app, instance, authorizer);
                return app;
            });
            await instance.StartAsync(cancellationToken).ConfigureAwait(false);
        }

        foreach (EmulatorGatewayOptions gateway in options.Gateways)
        {
            await StartGatewayAsync(gateway, options, cancellationToken).ConfigureAwait(false);
        }

        WebApplication managedIdentity = Track(KestrelHost.Create(0, null, "managed-identity", options.RequestLog));
        ManagedIdentityEndpoints.Map(managedIdentity, _tokens, _identities, options.TokenLifetime, options.AppServiceIdentityHeader);
        int managedIdentityPort = await KestrelHost.StartAsync(managedIdentity, cancellationToken).ConfigureAwait(false);
        ImdsEndpoint = new Uri($"http://127.0.0.1:{managedIdentityPort}");
        AppServiceEndpoint = new Uri($"http://127.0.0.1:{managedIdentityPort}{ManagedIdentityEndpoints.AppServiceTokenPath}");

        WebApplication entra = Track(KestrelHost.Create(0, _serverCertificate, "entra", options.RequestLog));
        EntraTokenEndpoints.Map(entra, _tokens, _identities, [.. options.Federations], options.TokenLifetime);
        AuthorityHost = new Uri($"https://localhost:{await KestrelHost.StartAsync(entra, cancellationToken).ConfigureAwait(false)}/");
    }

    /// <summary>
    /// Starts one gateway: its own certificate from the test CA (for localhost and its host names), its
    /// own listener, a backend pool of its instances, called over TLS that trusts the test CA alone.
    /// </summary>
    private async Task StartGatewayAsync(EmulatorGatewayOptions gateway, EmulatorOptions options, CancellationToken cancellationToken)
    {
        IReadOnlyList<EmulatorInstance> backends = gateway.Backends.Count == 0 ? Instances : [.. gateway.Backends.Select(name => this[name])];
        var certificate = Own(_ca.IssueServerCertificate(options.ServerHostNames.Concat(gateway.HostNames).Distinct(StringComparer.OrdinalIgnoreCase)));
        var backendTls = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, presented, _, errors) => IsIssuedByTestCa(presented, errors),
            },
        };
        var proxy = Own(new GatewayProxy(gateway, _tokens, new BackendPool(backends, options.TimeProvider), backendTls));
        WebApplication app = Track(KestrelHost.Create(gateway.Port, certificate, $"gateway {gateway.Name}", options.RequestLog));
        proxy.Map(app);
        int port = await KestrelHost.StartAsync(app, cancellationToken).ConfigureAwait(false);
        _gateways.Add(new EmulatorGateway(gateway, proxy, port));
    }

    /// <summary>A backend's certificate must chain to the test CA and match its name; nothing else is trusted.</summary>
    private bool IsIssuedByTestCa(X509Certificate? presented, SslPolicyErrors errors)
    {
        if (presented is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_ca.PublicCertificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var leaf = new X509Certificate2(presented);
        return chain.Build(leaf);
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    private WebApplication Track(WebApplication app)
    {
        _apps.Add(app);
        return app;
    }
}
