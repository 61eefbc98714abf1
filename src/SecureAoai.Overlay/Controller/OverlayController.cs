using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using SecureAoai.Overlay.Crypto;

namespace SecureAoai.Overlay.Controller;

/// <summary>
/// The in-process controller over one overlay directory (<c>ca.pem</c>, <c>ca.key</c>,
/// <c>overlay.db</c>): identities and their enrollment tokens, services, service and router
/// policies, revocation, and the network API. The router runs in the same process and calls
/// <see cref="Authorize"/>, <see cref="ResolveIdentity"/> and <see cref="IdentityRevoked"/> directly.
/// </summary>
internal sealed class OverlayController : IDisposable
{
    private readonly ILogger _logger;

    private OverlayController(string directory, OverlayCertificateAuthority authority, OverlayStore store, string controllerAddress, TimeProvider time, ILogger logger)
    {
        Directory = directory;
        CertificateAuthority = authority;
        Store = store;
        ControllerAddress = controllerAddress;
        Time = time;
        _logger = logger;
        _grants = new GrantIssuer(authority, time);
    }

    private const string RouterAddressesSetting = "routers";
    private readonly Lock _policyGate = new();
    private readonly GrantIssuer _grants;
    private PolicySnapshot? _policies;

    /// <summary>Raised with the identity's name after <see cref="RevokeIdentity"/> revoked it in this process, so the router can close its live connections.</summary>
    public event Action<string>? IdentityRevoked;

    public string Directory { get; }

    public string ControllerAddress { get; }

    public OverlayCertificateAuthority CertificateAuthority { get; }

    public OverlayStore Store { get; }

    public TimeProvider Time { get; }

    /// <summary>Creates a new overlay in <paramref name="directory"/> (CA + database); refuses when one exists there.</summary>
    public static OverlayController Initialize(string directory, string controllerAddress, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        HostPort.Validate(controllerAddress, "--controller");
        time ??= TimeProvider.System;
        if (File.Exists(Path.Combine(directory, OverlayStore.FileName)))
        {
            throw new InvalidOperationException($"An overlay already exists in '{directory}'; refusing to overwrite it. Use another --dir.");
        }

        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var authority = OverlayCertificateAuthority.Create(directory, Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar)), time);
        var store = OverlayStore.Open(directory, create: true);
        store.SetSetting(OverlayStore.ControllerAddressSetting, controllerAddress);
        return new OverlayController(directory, authority, store, controllerAddress, time, logger ?? NullLogger.Instance);
    }

    /// <summary>Opens an overlay created by <see cref="Initialize"/>.</summary>
    public static OverlayController Open(string directory, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        time ??= TimeProvider.System;
        if (!System.IO.Directory.Exists(directory))
        {
            throw new InvalidOperationException($"No overlay directory '{directory}'. Run 'secureaoai overlay init --dir {directory} --controller HOST:PORT' first, or pass the right --dir.");
        }

        var store = OverlayStore.Open(directory, create: false);
        var authority = OverlayCertificateAuthority.Load(directory, time);
        var address = store.GetSetting(OverlayStore.ControllerAddressSetting)
            ?? throw new InvalidDataException($"'{store.Path}' has no controller address; the overlay was not initialized completely.");
        return new OverlayController(directory, authority, store, address, time, logger ?? NullLogger.Instance);
    }

    public IdentityRecord CreateIdentity(string name, IEnumerable<string> roles)
    {
        RoleExpressions.ValidateName(name, "identity name");
        var identity = Store.AddIdentity(name, RoleExpressions.NormalizeAttributes(roles), Time.GetUtcNow());
        return identity;
    }

    /// <summary>Creates a one-time enrollment token (JWT) for an unenrolled identity; <paramref name="lifetime"/> defaults to <see cref="EnrollmentToken.DefaultLifetime"/>.</summary>
    public string CreateEnrollmentToken(string identityName, TimeSpan? lifetime = null)
    {
        var identity = Store.FindIdentity(identityName) ?? throw NotFound("identity", identityName);
        if (identity.IsRevoked || identity.IsEnrolled)
        {
            throw new InvalidOperationException($"Identity '{identityName}' is {(identity.IsRevoked ? "revoked" : "already enrolled")}; create a new identity instead.");
        }

        var now = Time.GetUtcNow();
        var span = lifetime ?? EnrollmentToken.DefaultLifetime;
        var jwt = EnrollmentToken.Create(CertificateAuthority, ControllerAddress, identity.Id, now, span, out var jti);
        Store.AddEnrollmentToken(jti, identity.Id, now + span);
        return jwt;
    }

    /// <summary>Revokes the identity: it can no longer open a session, dial or bind; raises <see cref="IdentityRevoked"/>.</summary>
    public void RevokeIdentity(string name)
    {
        if (!Store.RevokeIdentity(name))
        {
            throw NotFound("identity", name);
        }

        ControllerLog.Revoked(_logger, name);
        IdentityRevoked?.Invoke(name);
    }

    /// <summary>The addresses (<c>host:port</c>) of the routers that run with this controller, as SDKs should reach them.</summary>
    public IReadOnlyList<string> RouterAddresses =>
        (Store.GetSetting(RouterAddressesSetting) ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Records the address of a router that runs with this controller (replacing earlier ones), for <c>session</c> answers.</summary>
    public void RegisterRouter(string address) => Store.SetSetting(RouterAddressesSetting, address);

    /// <summary>
    /// True when the certificate with this SHA-256 thumbprint (hex) belongs to a revoked identity,
    /// or to no identity at all. Reads the database, so revocations made by the CLI in another
    /// process count at once.
    /// </summary>
    public bool IsRevoked(string thumbprint) => Store.FindIdentityByThumbprint(thumbprint.ToLowerInvariant()) is not { IsRevoked: false };

    /// <summary>The enrolled, unrevoked identity a client certificate belongs to, or null (other CA, unknown, revoked).</summary>
    public IdentityRecord? ResolveIdentity(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        if (!CertificateAuthority.Issued(certificate))
        {
            return null;
        }

        var identity = Store.FindIdentityByThumbprint(OverlayCertificateAuthority.ComputeFingerprint(certificate));
        return identity is { IsRevoked: false } ? identity : null;
    }

    public ServiceRecord CreateService(string name, IEnumerable<string> roles)
    {
        RoleExpressions.ValidateName(name, "service name");
        var service = Store.AddService(name, RoleExpressions.NormalizeAttributes(roles));
        return service;
    }

    public ServicePolicyRecord CreateServicePolicy(string name, ServicePolicyType type, PolicySemantic semantic, IEnumerable<string> identityRoles, IEnumerable<string> serviceRoles)
    {
        RoleExpressions.ValidateName(name, "policy name");
        var policy = Store.AddServicePolicy(name, type, semantic,
            RoleExpressions.NormalizeExpressions(identityRoles, "--identity-roles"), RoleExpressions.NormalizeExpressions(serviceRoles, "--service-roles"));
        return policy;
    }

    public RouterPolicyRecord CreateRouterPolicy(string name, PolicySemantic semantic, IEnumerable<string> identityRoles, IEnumerable<string> routerRoles)
    {
        RoleExpressions.ValidateName(name, "policy name");
        return Store.AddRouterPolicy(name, semantic,
            RoleExpressions.NormalizeExpressions(identityRoles, "--identity-roles"), RoleExpressions.NormalizeExpressions(routerRoles, "--router-roles"));
    }

    public IReadOnlyList<IdentityRecord> ListIdentities() => Store.ListIdentities();

    public IReadOnlyList<ServiceRecord> ListServices() => Store.ListServices();

    public IReadOnlyList<ServicePolicyRecord> ListServicePolicies() => Store.ListServicePolicies();

    public IReadOnlyList<RouterPolicyRecord> ListRouterPolicies() => Store.ListRouterPolicies();

    /// <summary>Whether the identity may dial or bind the service; false for unknown names and revoked identities.</summary>
    public bool Authorize(string identityName, string serviceName, ServicePolicyType action)
    {
        var policies = Policies();
        return policies.Identities.TryGetValue(identityName, out var identity)
            && policies.Services.TryGetValue(serviceName, out var service)
            && policies.Evaluator.Allows(identity, service, action);
    }

    /// <summary>
    /// A signed grant that lets the identity whose enrolled certificate has SHA-256
    /// <paramref name="thumbprint"/> (lower-case hex) bind or dial <paramref name="serviceName"/>, with its
    /// name and roles as this controller knows them; <see langword="null"/> when no such unrevoked
    /// identity exists or policy does not allow it. A router relays grants but cannot make them, and
    /// a grant is worthless without the certificate's private key, so asking is safe for any router.
    /// </summary>
    public byte[]? IssueGrant(GrantKind kind, string thumbprint, string serviceName)
    {
        var policies = Policies();
        return policies.ByThumbprint.TryGetValue(thumbprint, out var identity)
            && !identity.IsRevoked
            && policies.Services.TryGetValue(serviceName, out var service)
            && policies.Evaluator.Allows(identity, service, kind == GrantKind.Bind ? ServicePolicyType.Bind : ServicePolicyType.Dial)
                ? _grants.Issue(kind, identity, serviceName, policies.Version)
                : null;
    }

    /// <summary>Whether the identity is revoked or unknown (from the same snapshot as <see cref="Authorize"/>).</summary>
    public bool IsIdentityRevoked(string identityName) =>
        !Policies().Identities.TryGetValue(identityName, out var identity) || identity.IsRevoked;

    /// <summary>Whether a service of that name exists (from the same snapshot as <see cref="Authorize"/>).</summary>
    public bool ServiceExists(string serviceName) => Policies().Services.ContainsKey(serviceName);

    /// <summary>
    /// The identities, services and policies <see cref="Authorize"/> reads, re-read only when the
    /// database changed (any writer, this process or the CLI): exact, without a query per table per dial.
    /// </summary>
    private PolicySnapshot Policies()
    {
        var version = Store.DataVersion();
        lock (_policyGate)
        {
            if (_policies is { } current && current.Version == version)
            {
                return current;
            }
        }

        // Read outside the lock: every dial goes through here, and a slow disk must not serialize them.
        var identities = Store.ListIdentities();
        var byThumbprint = new Dictionary<string, IdentityRecord>(StringComparer.Ordinal);
        foreach (var identity in identities.Where(i => i.CertificateThumbprint is not null))
        {
            // The first, as ResolveIdentity finds it; a duplicate must not break every authorization.
            byThumbprint.TryAdd(identity.CertificateThumbprint!, identity);
        }

        var fresh = new PolicySnapshot(
            identities.ToDictionary(i => i.Name, StringComparer.Ordinal),
            byThumbprint,
            Store.ListServices().ToDictionary(s => s.Name, StringComparer.Ordinal),
            Store.CreateEvaluator(),
            version);
        lock (_policyGate)
        {
            _policies = fresh;
        }

        return fresh;
    }

    /// <summary>The state <see cref="Authorize"/> reads, taken at one moment.</summary>
    private sealed record PolicySnapshot(
        IReadOnlyDictionary<string, IdentityRecord> Identities,
        IReadOnlyDictionary<string, IdentityRecord> ByThumbprint,
        IReadOnlyDictionary<string, ServiceRecord> Services,
        PolicyEvaluator Evaluator,
        long Version);

    public bool CanDial(string identityName, string serviceName) => Authorize(identityName, serviceName, ServicePolicyType.Dial);

    public bool CanBind(string identityName, string serviceName) => Authorize(identityName, serviceName, ServicePolicyType.Bind);

    public IReadOnlyList<ServiceRecord> DialableServices(string identityName) =>
        Store.FindIdentity(identityName) is { } identity ? Store.CreateEvaluator().DialableServices(identity) : [];

    public IReadOnlyList<ServiceRecord> BindableServices(string identityName) =>
        Store.FindIdentity(identityName) is { } identity ? Store.CreateEvaluator().BindableServices(identity) : [];

    /// <summary>
    /// Whether the identity may connect to the router with this name and role attributes. When
    /// no router policy exists at all, every unrevoked identity may use every router (the default
    /// a fresh overlay needs to work); once one exists, only the policies decide.
    /// </summary>
    public bool CanUseRouter(string identityName, string routerName, IReadOnlyList<string> routerRoles)
    {
        var identity = Store.FindIdentity(identityName);
        if (identity is null || identity.IsRevoked)
        {
            return false;
        }

        var policies = Store.ListRouterPolicies();
        return policies.Count == 0 || policies.Any(p =>
            RoleExpressions.Matches(p.IdentityRoles, p.Semantic, identity.Name, identity.Roles) &&
            RoleExpressions.Matches(p.RouterRoles, p.Semantic, routerName, routerRoles));
    }

    /// <summary>A server certificate (with its key) for a router or the controller, from the overlay CA.</summary>
    public X509Certificate2 IssueServerCertificate(string name, IEnumerable<string> dnsNames, IEnumerable<IPAddress> ipAddresses) =>
        CertificateAuthority.IssueServerCertificate(name, dnsNames, ipAddresses);

    /// <summary>True for certificates this overlay issued to routers/controllers (EKU serverAuth; identity certificates have clientAuth only).</summary>
    public bool IsRouterCertificate(X509Certificate2 certificate) =>
        CertificateAuthority.Issued(certificate, OverlayCertificateAuthority.ServerAuthOid);

    /// <summary>Starts the network API on <paramref name="endPoint"/> (port 0 picks one; see <see cref="ControllerServer.EndPoint"/>).</summary>
    public Task<ControllerServer> StartServerAsync(IPEndPoint endPoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(endPoint);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(StartServer(new TcpListener(endPoint)));
    }

    /// <summary>
    /// Starts the network API on a listener the caller created (bound or not); the server owns it.
    /// <paramref name="options"/> defaults to <see cref="ControllerServerOptions"/>' defaults;
    /// <paramref name="accept"/>, when set, replaces the listener's accept (for tests that make it fail).
    /// </summary>
    public ControllerServer StartServer(TcpListener listener, ControllerServerOptions? options = null, Func<TcpListener, CancellationToken, ValueTask<Socket>>? accept = null)
    {
        ArgumentNullException.ThrowIfNull(listener);
        var host = HostPort.TryParse(ControllerAddress, out var parsed, out _) ? parsed : "localhost";
        var dns = new List<string> { "localhost" };
        var ips = new List<IPAddress> { IPAddress.Loopback, IPAddress.IPv6Loopback };
        if (IPAddress.TryParse(host, out var ip))
        {
            ips.Add(ip);
        }
        else
        {
            dns.Add(host);
        }

        var certificate = CertificateAuthority.IssueServerCertificate("controller", dns.Distinct(StringComparer.OrdinalIgnoreCase), ips.Distinct());
        return ControllerServer.Start(this, listener, certificate, _logger, options, accept);
    }

    /// <summary>Verifies a token and CSR and, in one store transaction, redeems the token and records the issued certificate.</summary>
    internal async Task<EnrollmentResult> EnrollAsync(string jwt, string csrPem)
    {
        var now = Time.GetUtcNow();
        var (token, error) = await EnrollmentToken.ValidateAsync(jwt, CertificateAuthority, ControllerAddress, now).ConfigureAwait(false);
        if (token is null)
        {
            return new EnrollmentResult(null, null, error);
        }

        string? pem = null;
        string? name = null;
        try
        {
            error = Store.RedeemEnrollmentToken(token.TokenId, token.IdentityId, now, identity =>
            {
                using var certificate = CertificateAuthority.IssueIdentityCertificate(identity.Id, identity.Name, csrPem);
                pem = certificate.ExportCertificatePem();
                name = identity.Name;
                return (certificate.SerialNumber, OverlayCertificateAuthority.ComputeFingerprint(certificate));
            });
        }
        catch (ArgumentException ex)
        {
            // A bad CSR rolls the transaction back: the token stays unused.
            return new EnrollmentResult(null, null, ex.Message);
        }

        return error is null ? new EnrollmentResult(name, pem, null) : new EnrollmentResult(null, null, error);
    }

    public void Dispose()
    {
        _grants.Dispose();
        Store.Dispose();
        CertificateAuthority.Dispose();
    }

    private static InvalidOperationException NotFound(string kind, string name) =>
        new($"No {kind} named '{name}'. List them with 'secureaoai overlay list {kind.Replace(' ', '-')}s --dir DIR'.");
}
