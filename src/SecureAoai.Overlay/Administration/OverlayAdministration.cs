using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay;

/// <summary>
/// Administers an overlay: its identities, routers, services and policies, in the overlay's directory
/// (<c>ca.pem</c>, <c>ca.key</c>, <c>overlay.db</c>). Every change is written to the database at once,
/// and a running controller, in this process or another, applies it: routers hear of it within the
/// controller's <see cref="OverlayControllerOptions.StatePollInterval"/>. The CA key is read only to
/// sign an enrollment token.
/// </summary>
/// <example>
/// <code>
/// using var admin = OverlayAdministration.Open("./overlay");
/// admin.CreateService("chatapp", ["webapps"]);
/// admin.CreateServicePolicy("browsers-dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#browsers"], ["#webapps"]);
/// admin.CreateRouter("r1", ["edge"]);
/// EnrollmentToken.Save(admin.CreateRouterEnrollmentToken("r1"), "r1.jwt");
/// </code>
/// </example>
public sealed class OverlayAdministration : IDisposable
{
    private readonly OverlayStore _store;
    private readonly OverlayCertificateAuthority _authority;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private IDisposable? _owner;

    internal OverlayAdministration(string directory, string controllerAddress, OverlayStore store, OverlayCertificateAuthority authority, TimeProvider time, ILogger logger)
    {
        Directory = directory;
        ControllerAddress = controllerAddress;
        _store = store;
        _authority = authority;
        _time = time;
        _logger = logger;
    }

    /// <summary>Raised with the identity's name after <see cref="RevokeIdentity"/> revoked it, so a router in this process closes its sessions at once.</summary>
    internal event Action<string>? IdentityRevoked;

    /// <summary>Gets the overlay's directory.</summary>
    public string Directory { get; }

    /// <summary>Gets the controller's address as identities and routers reach it, <c>HOST:PORT</c> (recorded when the overlay was initialized).</summary>
    public string ControllerAddress { get; }

    /// <summary>Gets the SHA-256 fingerprint of the overlay CA's certificate, lower-case hex: what every enrollment token pins.</summary>
    public string CaFingerprint => _authority.Fingerprint;

    /// <summary>Creates a new overlay in <paramref name="directory"/>: its CA (<c>ca.pem</c>, and <c>ca.key</c> readable by its owner only) and its database.</summary>
    /// <param name="directory">A missing or empty directory; it is created readable by its owner only.</param>
    /// <param name="controllerAddress">Where identities and routers will reach the controller, <c>HOST:PORT</c>; enrollment tokens name it.</param>
    /// <returns>The administration of the new overlay; dispose it when done.</returns>
    /// <exception cref="OverlayAdministrationException">The directory already holds an overlay (<see cref="OverlayAdministrationProblem.AlreadyInitialized"/>), or the address is not <c>HOST:PORT</c>.</exception>
    public static OverlayAdministration Initialize(string directory, string controllerAddress) => Own(OverlayController.Initialize(directory, controllerAddress));

    /// <summary>Opens the overlay in <paramref name="directory"/>; the CA key is not read until a token is signed.</summary>
    /// <param name="directory">The overlay's directory.</param>
    /// <returns>The administration; dispose it when done.</returns>
    /// <exception cref="OverlayAdministrationException">The directory holds no overlay (<see cref="OverlayAdministrationProblem.NotInitialized"/>).</exception>
    public static OverlayAdministration Open(string directory) => Own(OverlayController.Open(directory, loadCaKey: false));

    /// <summary>Creates an identity, not yet enrolled.</summary>
    /// <param name="name">Its name: 1-64 letters, digits, '.', '_' or '-'.</param>
    /// <param name="roles">Its role attributes (a leading <c>#</c> is optional).</param>
    /// <returns>The identity.</returns>
    /// <exception cref="OverlayAdministrationException">The name or a role is not valid, or the name is taken.</exception>
    public IdentityRecord CreateIdentity(string name, IEnumerable<string> roles)
    {
        RoleExpressions.ValidateName(name, "identity name");
        return _store.AddIdentity(name, RoleExpressions.NormalizeAttributes(roles), _time.GetUtcNow());
    }

    /// <summary>Creates a one-time enrollment token (a JWT) for an identity that has not enrolled yet.</summary>
    /// <param name="identityName">The identity.</param>
    /// <param name="lifetime">How long the token is valid. The default value is <see cref="EnrollmentToken.DefaultLifetime"/> (24 hours).</param>
    /// <returns>The token: a secret until used (see <see cref="EnrollmentToken.Save"/>).</returns>
    /// <exception cref="OverlayAdministrationException">No such identity, it is revoked or already enrolled, or the lifetime is not positive.</exception>
    public string CreateEnrollmentToken(string identityName, TimeSpan? lifetime = null)
    {
        var identity = _store.FindIdentity(identityName) ?? throw NotFound("identity", identityName);
        return CreateOneTimeToken("Identity", "identity", nameof(identityName), identityName, identity.Id, identity.IsRevoked, identity.IsEnrolled,
            EnrollmentToken.OneTimeTokenMethod, lifetime, _store.AddEnrollmentToken);
    }

    /// <summary>Revokes an identity: its router sessions are closed, and it can no longer open one, dial or bind.</summary>
    /// <param name="name">The identity.</param>
    /// <exception cref="OverlayAdministrationException">No such identity.</exception>
    public void RevokeIdentity(string name)
    {
        if (!_store.RevokeIdentity(name))
        {
            throw NotFound("identity", name);
        }

        ControllerLog.Revoked(_logger, name);
        IdentityRevoked?.Invoke(name);
    }

    /// <summary>Lists the identities, by name.</summary>
    /// <returns>Every identity, enrolled, pending or revoked.</returns>
    public IReadOnlyList<IdentityRecord> ListIdentities() => _store.ListIdentities();

    /// <summary>Creates a router, not yet enrolled: enroll it with a token from <see cref="CreateRouterEnrollmentToken"/>.</summary>
    /// <param name="name">Its name: 1-64 letters, digits, '.', '_' or '-'.</param>
    /// <param name="roles">Its role attributes, which router policies select (a leading <c>#</c> is optional).</param>
    /// <returns>The router.</returns>
    /// <exception cref="OverlayAdministrationException">The name or a role is not valid, or the name is taken.</exception>
    public RouterRecord CreateRouter(string name, IEnumerable<string> roles)
    {
        RoleExpressions.ValidateName(name, "router name");
        return _store.AddRouter(name, RoleExpressions.NormalizeAttributes(roles), _time.GetUtcNow());
    }

    /// <summary>
    /// Creates a one-time router enrollment token (a JWT whose <c>em</c> claim is <c>erott</c>) for a
    /// router that has not enrolled yet. The router makes its own key and gets a server certificate for
    /// the address it says it will listen on.
    /// </summary>
    /// <param name="routerName">The router.</param>
    /// <param name="lifetime">How long the token is valid. The default value is <see cref="EnrollmentToken.DefaultLifetime"/> (24 hours).</param>
    /// <returns>The token: a secret until used (see <see cref="EnrollmentToken.Save"/>).</returns>
    /// <exception cref="OverlayAdministrationException">No such router, it is revoked or already enrolled, or the lifetime is not positive.</exception>
    public string CreateRouterEnrollmentToken(string routerName, TimeSpan? lifetime = null)
    {
        var router = _store.FindRouter(routerName) ?? throw NotFound("router", routerName);
        return CreateOneTimeToken("Router", "router", nameof(routerName), routerName, router.Id, router.IsRevoked, router.IsEnrolled,
            EnrollmentToken.RouterOneTimeTokenMethod, lifetime, _store.AddRouterEnrollmentToken);
    }

    /// <summary>Signs a one-time enrollment token of <paramref name="method"/> for a subject not yet enrolled, and records its id for single use.</summary>
    private string CreateOneTimeToken(
        string kind, string kindLower, string parameter, string name, string id, bool isRevoked, bool isEnrolled,
        string method, TimeSpan? lifetime, Action<string, string, DateTimeOffset> record)
    {
        if (isRevoked || isEnrolled)
        {
            throw new OverlayAdministrationException(OverlayAdministrationProblem.InvalidState,
                $"{kind} '{name}' is {(isRevoked ? "revoked" : "already enrolled")}; create a new {kindLower} instead.", parameter, name);
        }

        var now = _time.GetUtcNow();
        var span = lifetime ?? EnrollmentToken.DefaultLifetime;
        var jwt = EnrollmentToken.Create(_authority, method, ControllerAddress, id, now, span, out var jti);
        record(jti, id, now + span);
        return jwt;
    }

    /// <summary>
    /// Revokes a router: the controller stops answering it, so it refuses new sessions, dials and binds,
    /// and the controller stops naming it to identities.
    /// </summary>
    /// <param name="name">The router.</param>
    /// <exception cref="OverlayAdministrationException">No such router.</exception>
    public void RevokeRouter(string name)
    {
        if (!_store.RevokeRouter(name))
        {
            throw NotFound("router", name);
        }

        ControllerLog.RouterRevoked(_logger, name);
    }

    /// <summary>Deletes a router: as <see cref="RevokeRouter"/>, and its name is free again.</summary>
    /// <param name="name">The router.</param>
    /// <exception cref="OverlayAdministrationException">No such router.</exception>
    public void DeleteRouter(string name)
    {
        if (!_store.DeleteRouter(name))
        {
            throw NotFound("router", name);
        }

        ControllerLog.RouterRevoked(_logger, name);
    }

    /// <summary>Lists the routers, by name.</summary>
    /// <returns>Every router, enrolled, pending or revoked.</returns>
    public IReadOnlyList<RouterRecord> ListRouters() => _store.ListRouters();

    /// <summary>Creates a service.</summary>
    /// <param name="name">Its name: 1-64 letters, digits, '.', '_' or '-'.</param>
    /// <param name="roles">Its role attributes (a leading <c>#</c> is optional).</param>
    /// <returns>The service.</returns>
    /// <exception cref="OverlayAdministrationException">The name or a role is not valid, or the name is taken.</exception>
    public ServiceRecord CreateService(string name, IEnumerable<string> roles)
    {
        RoleExpressions.ValidateName(name, "service name");
        return _store.AddService(name, RoleExpressions.NormalizeAttributes(roles));
    }

    /// <summary>Lists the services, by name.</summary>
    /// <returns>Every service.</returns>
    public IReadOnlyList<ServiceRecord> ListServices() => _store.ListServices();

    /// <summary>Creates a Dial or Bind policy: identities matching <paramref name="identityRoles"/> may dial or bind services matching <paramref name="serviceRoles"/>.</summary>
    /// <param name="name">Its name, unique among service and router policies.</param>
    /// <param name="type">Dial (use) or Bind (host).</param>
    /// <param name="semantic">Whether any or all expressions of each list must match.</param>
    /// <param name="identityRoles">Role expressions: <c>#attribute</c>, <c>@name</c>, <c>#all</c>.</param>
    /// <param name="serviceRoles">Role expressions for services.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="OverlayAdministrationException">A name or expression is not valid, or the name is taken.</exception>
    public ServicePolicyRecord CreateServicePolicy(string name, ServicePolicyType type, PolicySemantic semantic, IEnumerable<string> identityRoles, IEnumerable<string> serviceRoles)
    {
        RoleExpressions.ValidateName(name, "policy name");
        RefuseTakenPolicyName(name);
        return _store.AddServicePolicy(name, type, semantic,
            RoleExpressions.NormalizeExpressions(identityRoles, nameof(identityRoles)), RoleExpressions.NormalizeExpressions(serviceRoles, nameof(serviceRoles)));
    }

    /// <summary>
    /// Creates a router policy: identities matching <paramref name="identityRoles"/> may use routers
    /// matching <paramref name="routerRoles"/>. While an overlay has none, every identity may use every
    /// router; once it has one, only the router policies decide.
    /// </summary>
    /// <param name="name">Its name, unique among service and router policies.</param>
    /// <param name="semantic">Whether any or all expressions of each list must match.</param>
    /// <param name="identityRoles">Role expressions: <c>#attribute</c>, <c>@name</c>, <c>#all</c>.</param>
    /// <param name="routerRoles">Role expressions for routers.</param>
    /// <returns>The policy.</returns>
    /// <exception cref="OverlayAdministrationException">A name or expression is not valid, or the name is taken.</exception>
    public RouterPolicyRecord CreateRouterPolicy(string name, PolicySemantic semantic, IEnumerable<string> identityRoles, IEnumerable<string> routerRoles)
    {
        RoleExpressions.ValidateName(name, "policy name");
        RefuseTakenPolicyName(name);
        return _store.AddRouterPolicy(name, semantic,
            RoleExpressions.NormalizeExpressions(identityRoles, nameof(identityRoles)), RoleExpressions.NormalizeExpressions(routerRoles, nameof(routerRoles)));
    }

    /// <summary>Deletes a service policy or router policy by name.</summary>
    /// <param name="name">The policy.</param>
    /// <exception cref="OverlayAdministrationException">No such policy.</exception>
    public void DeletePolicy(string name)
    {
        if (!_store.DeletePolicy(name))
        {
            throw NotFound("policy", name);
        }
    }

    /// <summary>Lists the Dial and Bind policies, by name.</summary>
    /// <returns>Every service policy.</returns>
    public IReadOnlyList<ServicePolicyRecord> ListServicePolicies() => _store.ListServicePolicies();

    /// <summary>Lists the router policies, by name.</summary>
    /// <returns>Every router policy.</returns>
    public IReadOnlyList<RouterPolicyRecord> ListRouterPolicies() => _store.ListRouterPolicies();

    /// <summary>Closes the overlay's database and CA, when this administration opened them; one a host hands out is closed with the host.</summary>
    public void Dispose() => Interlocked.Exchange(ref _owner, null)?.Dispose();

    private static OverlayAdministration Own(OverlayController controller)
    {
        controller.Administration._owner = controller;
        return controller.Administration;
    }

    private static OverlayAdministrationException NotFound(string kind, string name) =>
        new(OverlayAdministrationProblem.NotFound, $"There is no {kind} named '{name}'.", "name", name);

    /// <summary>Service and router policies share one namespace, so that a name deletes exactly one policy.</summary>
    private void RefuseTakenPolicyName(string name)
    {
        if (_store.ListServicePolicies().Any(p => p.Name == name) || _store.ListRouterPolicies().Any(p => p.Name == name))
        {
            throw new OverlayAdministrationException(OverlayAdministrationProblem.AlreadyExists, $"A policy named '{name}' already exists; choose another name.", "name", name);
        }
    }
}
