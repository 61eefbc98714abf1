using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Failover.Internal;

namespace SecureAoai.Client.Internal;

/// <summary>
/// The endpoint a refusal came from, as its fix must name it (<see cref="RefusalDiagnosis"/>): its
/// host (for the private DNS zone), whether it is a gateway, and how it authenticated with which
/// settings. Holds no secret: a key's setting and header, never the key.
/// </summary>
/// <param name="Host">The endpoint's host name.</param>
/// <param name="IsGateway">Whether it is a gateway (see <see cref="FailoverEndpoint.IsGateway"/>) rather than an Azure OpenAI resource.</param>
/// <param name="Setting">Its configuration path: <c>SecureOpenAI:Endpoints:1</c>, or <c>SecureOpenAI</c> for the one <c>Endpoint</c>.</param>
/// <param name="Credential">How the request authenticated.</param>
/// <param name="CredentialSetting">The setting that decided it: the scope's or the key's.</param>
/// <param name="Scope">The token scope; <see langword="null"/> for a key.</param>
/// <param name="KeyHeader">The header a key went in; <see langword="null"/> for a token.</param>
internal sealed record RefusedEndpoint(
    string Host, bool IsGateway, string Setting, EndpointCredentialKind Credential, string CredentialSetting, string? Scope, string? KeyHeader)
{
    /// <summary>Whether it has several endpoints' settings, each under <c>SecureOpenAI:Endpoints:N</c>.</summary>
    public bool IsListed => Setting.Contains(":Endpoints:", StringComparison.Ordinal);

    /// <summary>The endpoint failover sent the request to, with the credential it was sent.</summary>
    public static RefusedEndpoint Of(FailoverEndpoint endpoint) =>
        endpoint.Credential is { } credential
            ? new(endpoint.BaseUri.IdnHost, endpoint.IsGateway, endpoint.Setting, credential.Kind, credential.Setting, credential.Scope, credential.Header)
            : Unknown(endpoint.BaseUri.IdnHost);

    /// <summary>An endpoint with the credential <see cref="EndpointAuthentication.Choose"/> picks for it.</summary>
    public static RefusedEndpoint Of(Uri baseUri, string setting, CredentialChoice credential)
    {
        var scope = credential.Kind == EndpointCredentialKind.EntraToken ? credential.Value : null;
        return new(baseUri.IdnHost, FailoverEndpoint.IsGatewayAt(baseUri, credential.Kind, scope), setting, credential.Kind, credential.Setting, scope, credential.Header);
    }

    /// <summary>A host whose credential is not known: a token, by the settings every endpoint falls back to.</summary>
    public static RefusedEndpoint Unknown(string host) =>
        new(host, IsGateway: false, SecureOpenAIOptions.SectionName, EndpointCredentialKind.EntraToken, SettingNames.Scope, Scope: null, KeyHeader: null);
}
