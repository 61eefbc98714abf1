namespace SecureAoai.Client;

/// <summary>Why Azure OpenAI refused a request, as far as its answer tells.</summary>
public enum SecureOpenAIRefusal
{
    /// <summary>
    /// 401: the token was missing, expired, for the wrong audience or tenant, or not signed by Entra
    /// ID (Azure answers all of these alike; the message names the claim that is wrong), or the API
    /// key was not the resource's.
    /// </summary>
    Unauthorized,

    /// <summary>403: the resource's network rules do not admit this client's address (often: DNS did not lead to the private endpoint).</summary>
    FirewallDenied,

    /// <summary>
    /// 401 with code <c>PermissionDenied</c> (403 from older services): the identity authenticated
    /// but lacks the role "Cognitive Services OpenAI User" on the resource. The token is not
    /// refreshed, since a new one would not carry the role.
    /// </summary>
    PermissionDenied,

    /// <summary>403: key authentication is disabled on the resource (disableLocalAuth).</summary>
    KeyAuthDisabled,

    /// <summary>404: the deployment does not exist on this resource.</summary>
    DeploymentNotFound,
}
