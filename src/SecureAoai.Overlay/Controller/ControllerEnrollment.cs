namespace SecureAoai.Overlay.Controller;

/// <summary>
/// The controller's side of enrollment: checks a one-time token and a CSR and, in one store
/// transaction, redeems the token and records the certificate it issues: an identity's client
/// certificate for an identity's token, a router's server certificate for a router's token.
/// </summary>
internal sealed class ControllerEnrollment
{
    private readonly OverlayStore _store;
    private readonly OverlayCertificateAuthority _authority;
    private readonly string _controllerAddress;
    private readonly TimeProvider _time;

    public ControllerEnrollment(OverlayStore store, OverlayCertificateAuthority authority, string controllerAddress, TimeProvider time)
    {
        _store = store;
        _authority = authority;
        _controllerAddress = controllerAddress;
        _time = time;
    }

    /// <summary>Enrolls an identity: its token must be an identity's (<c>em</c> = <c>ott</c>).</summary>
    public async Task<EnrollmentResult> EnrollIdentityAsync(string jwt, string csrPem)
    {
        var now = _time.GetUtcNow();
        var (token, error) = await ValidateAsync(jwt, forRouter: false, now).ConfigureAwait(false);
        if (token is null)
        {
            return new EnrollmentResult(null, null, error);
        }

        string? pem = null;
        string? name = null;
        try
        {
            error = _store.RedeemEnrollmentToken(token.TokenId, token.IdentityId, now, identity =>
            {
                using var certificate = _authority.IssueIdentityCertificate(identity.Id, identity.Name, csrPem);
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

    /// <summary>
    /// Enrolls a router that will serve <paramref name="address"/> (<c>HOST:PORT</c>): its token must be a
    /// router's (<c>em</c> = <c>erott</c>), and its certificate names that host and nothing else.
    /// </summary>
    public async Task<EnrollmentResult> EnrollRouterAsync(string jwt, string csrPem, string address)
    {
        if (!HostPort.TryParse(address, out var host, out _))
        {
            return new EnrollmentResult(null, null, $"The router's address '{address}' is not HOST:PORT.");
        }

        var now = _time.GetUtcNow();
        var (token, error) = await ValidateAsync(jwt, forRouter: true, now).ConfigureAwait(false);
        if (token is null)
        {
            return new EnrollmentResult(null, null, error);
        }

        string? pem = null;
        string? name = null;
        try
        {
            error = _store.RedeemRouterEnrollmentToken(token.TokenId, token.IdentityId, address, now, router =>
            {
                using var certificate = _authority.IssueRouterCertificate(router.Id, router.Name, csrPem, host);
                pem = certificate.ExportCertificatePem();
                name = router.Name;
                return (certificate.SerialNumber, OverlayCertificateAuthority.ComputeFingerprint(certificate));
            });
        }
        catch (ArgumentException ex)
        {
            return new EnrollmentResult(null, null, ex.Message);
        }

        return error is null ? new EnrollmentResult(name, pem, null) : new EnrollmentResult(null, null, error);
    }

    private async Task<(EnrollmentToken? Token, string? Error)> ValidateAsync(string jwt, bool forRouter, DateTimeOffset now)
    {
        var (token, error) = await EnrollmentToken.ValidateAsync(jwt, _authority, _controllerAddress, now).ConfigureAwait(false);
        if (token is not null && token.IsForRouter != forRouter)
        {
            return (null, forRouter
                ? "The token enrolls an identity, not a router; enroll it as an identity."
                : "The token enrolls a router, not an identity; enroll it as a router, with the address it will listen on.");
        }

        return (token, error);
    }
}
