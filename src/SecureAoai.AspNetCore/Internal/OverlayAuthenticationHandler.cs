using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace SecureAoai.AspNetCore.Internal;

/// <summary>
/// The <c>Overlay</c> authentication scheme: the caller the router named and the end-to-end handshake
/// proved. Authorization policies from <c>RequireOverlayRole</c> name it, so a caller without the role
/// gets 403 (forbid) and a connection that did not come through the overlay gets 401 (challenge).
/// </summary>
internal sealed class OverlayAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override Task<AuthenticateResult> HandleAuthenticateAsync() =>
        Task.FromResult(Context.Features.Get<IOverlayConnectionFeature>() is { } connection
            ? AuthenticateResult.Success(new AuthenticationTicket(OverlayPrincipal.Create(connection), Scheme.Name))
            : AuthenticateResult.NoResult());
}
