using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay.Crypto;
using SecureAoai.Overlay.Router;

namespace SecureAoai.Overlay.Controller;

/// <summary>
/// What the controller answers to each request of its network API (see <see cref="ControllerProtocol"/>
/// for the framing and <c>docs/overlay.md</c> for the operations). The transport, its limits and who
/// is connected are <see cref="ControllerServer"/>'s; this class only decides the answers.
/// </summary>
internal sealed class ControllerOperations
{
    /// <summary>The most bytes of identities one <c>router-identities</c> answer carries (a page; the router asks for the next).</summary>
    public const int MaxIdentitiesPageBytes = 32 * 1024;

    private readonly OverlayController _controller;
    private readonly ControllerStateVersion _state;
    private readonly TimeSpan _watchTimeout;
    private readonly ILogger _logger;

    public ControllerOperations(OverlayController controller, ControllerStateVersion state, TimeSpan watchTimeout, ILogger logger)
    {
        _controller = controller;
        _state = state;
        _watchTimeout = watchTimeout;
        _logger = logger;
    }

    public async Task<JsonObject> HandleAsync(JsonObject request, X509Certificate2? client, EndPoint? remote, CancellationToken cancellationToken)
    {
        var op = ControllerProtocol.GetString(request, "op");
        switch (op)
        {
            case ControllerProtocol.CaOp:
                return new JsonObject { ["ok"] = true, ["ca"] = CaPem };
            case ControllerProtocol.EnrollOp:
                return await EnrollAsync(request, remote, router: false).ConfigureAwait(false);
            case ControllerProtocol.EnrollRouterOp:
                return await EnrollAsync(request, remote, router: true).ConfigureAwait(false);
            case ControllerProtocol.SessionOp:
                return Session(client);
            case ControllerProtocol.RouterWatchOp or ControllerProtocol.RouterIdentitiesOp or ControllerProtocol.RouterGrantOp:
                if (client is null || _controller.Authorizer.ResolveRouter(client) is not { } router)
                {
                    ControllerLog.RouterRefused(_logger, remote, "not the certificate of an enrolled, unrevoked router");
                    return ControllerProtocol.Error(ControllerProtocol.ForbiddenError, "Router operations need the client certificate of an enrolled, unrevoked router of this overlay.");
                }

                return op switch
                {
                    ControllerProtocol.RouterWatchOp => await WatchAsync(request, cancellationToken).ConfigureAwait(false),
                    ControllerProtocol.RouterIdentitiesOp => Identities(request, router),
                    _ => Grant(request, router),
                };
            default:
                return ControllerProtocol.Error("bad-request", "Unknown \"op\"; use ca, enroll, enroll-router, session, router-watch, router-identities or router-grant.");
        }
    }

    private string CaPem => _controller.CertificateAuthority.Certificate.ExportCertificatePem();

    private async Task<JsonObject> EnrollAsync(JsonObject request, EndPoint? remote, bool router)
    {
        var token = ControllerProtocol.GetString(request, "token");
        var csr = ControllerProtocol.GetString(request, "csr");
        var address = ControllerProtocol.GetString(request, "address");
        if (token is null || csr is null || (router && address is null))
        {
            return ControllerProtocol.Error("bad-request", router ? "enroll-router needs \"token\", \"csr\" and \"address\"." : "enroll needs \"token\" and \"csr\".");
        }

        var result = router
            ? await _controller.Enrollment.EnrollRouterAsync(token, csr, address!).ConfigureAwait(false)
            : await _controller.Enrollment.EnrollIdentityAsync(token, csr).ConfigureAwait(false);
        if (result.Error is not null)
        {
            ControllerLog.EnrollmentRefused(_logger, remote, result.Error);
            return ControllerProtocol.Error("enrollment-refused", result.Error);
        }

        if (router)
        {
            ControllerLog.RouterEnrolled(_logger, result.IdentityName!, address!);
        }
        else
        {
            ControllerLog.Enrolled(_logger, result.IdentityName!);
        }

        return new JsonObject { ["ok"] = true, ["certificate"] = result.CertificatePem, ["ca"] = CaPem };
    }

    /// <summary>An identity's view of itself: name, roles, what it may dial and bind, and every router it may use.</summary>
    private JsonObject Session(X509Certificate2? client)
    {
        var authorizer = _controller.Authorizer;
        var identity = client is null ? null : authorizer.ResolveIdentity(client);
        if (identity is null)
        {
            return ControllerProtocol.Error("unauthenticated", "session needs the client certificate of an enrolled, unrevoked identity.");
        }

        return new JsonObject
        {
            ["ok"] = true,
            ["name"] = identity.Name,
            ["roles"] = ToArray(identity.Roles),
            ["dial"] = ToArray(authorizer.DialableServices(identity).Select(s => s.Name)),
            ["bind"] = ToArray(authorizer.BindableServices(identity).Select(s => s.Name)),
            ["routers"] = new JsonArray([.. authorizer.RoutersFor(identity).Select(r => (JsonNode)new JsonObject
            {
                ["name"] = r.Name,
                ["address"] = r.Address,
                ["roles"] = ToArray(r.Roles),
            })]),
        };
    }

    /// <summary>A long poll: answers with the state's version as soon as it differs from the router's, or after the watch timeout.</summary>
    private async Task<JsonObject> WatchAsync(JsonObject request, CancellationToken cancellationToken)
    {
        var version = await _state.WaitForChangeAsync(ControllerProtocol.GetString(request, "version"), _watchTimeout, cancellationToken).ConfigureAwait(false);
        return new JsonObject { ["ok"] = true, ["version"] = version };
    }

    /// <summary>
    /// The identities that may use the asking router: one, by <c>thumbprint</c>, or a page of all of
    /// them after the <c>after</c> thumbprint, in thumbprint order, with <c>more</c> when another page follows.
    /// </summary>
    private JsonObject Identities(JsonObject request, RouterRecord router)
    {
        // The version first: if the state changes while this is read, the router hears a newer version and reads again.
        var version = _state.Current;
        var thumbprint = ControllerProtocol.GetString(request, "thumbprint");
        var after = ControllerProtocol.GetString(request, "after");
        var allowed = _controller.Authorizer.IdentitiesAllowedOn(router);
        IEnumerable<IdentityRecord> candidates = thumbprint is not null
            ? allowed.Where(i => i.CertificateThumbprint == thumbprint)
            : allowed.Where(i => after is null || string.CompareOrdinal(i.CertificateThumbprint, after) > 0);
        var page = new JsonArray();
        var bytes = 0;
        var more = false;
        foreach (var identity in candidates)
        {
            var entry = new JsonObject { ["thumbprint"] = identity.CertificateThumbprint, ["name"] = identity.Name, ["roles"] = ToArray(identity.Roles) };
            var size = entry.ToJsonString().Length;
            if (page.Count > 0 && bytes + size > MaxIdentitiesPageBytes)
            {
                more = true;
                break;
            }

            page.Add(entry);
            bytes += size;
        }

        return new JsonObject { ["ok"] = true, ["version"] = version, ["identities"] = page, ["more"] = more };
    }

    /// <summary>A bind or dial grant for an identity on a service, issued only if policy and the router policies let that identity do it through the asking router.</summary>
    private JsonObject Grant(JsonObject request, RouterRecord router)
    {
        var version = _state.Current;
        var thumbprint = ControllerProtocol.GetString(request, "thumbprint");
        var service = ControllerProtocol.GetString(request, "service");
        GrantKind? kind = ControllerProtocol.GetString(request, "kind") switch
        {
            RouterRequest.Dial => GrantKind.Dial,
            RouterRequest.Bind => GrantKind.Bind,
            _ => null,
        };
        if (kind is null || thumbprint is not { Length: 64 } || service is not { Length: > 0 and <= RouterRequest.MaxNameLength })
        {
            return ControllerProtocol.Error("bad-request", "router-grant needs \"kind\" (dial or bind), \"thumbprint\" (64 hex digits) and \"service\".");
        }

        var grant = _controller.Authorizer.IssueGrant(kind.Value, thumbprint, service, router);
        return new JsonObject { ["ok"] = true, ["version"] = version, ["grant"] = grant is null ? null : Convert.ToBase64String(grant) };
    }

    private static JsonArray ToArray(IEnumerable<string> values) => [.. values.Select(v => (JsonNode)v)];
}
