using Azure.Core;
using Azure.Identity;

namespace SecureAoai.Client.Credentials.Internal;

/// <summary>A chain member that is switched off here; it reports why, so the failure list stays complete.</summary>
internal sealed class UnavailableCredential(string reason) : TokenCredential
{
    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        throw new CredentialUnavailableException(reason);

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        throw new CredentialUnavailableException(reason);
}
