namespace SecureAoai.Client.Diagnostics;

/// <summary>The checks of <see cref="SecureOpenAIDiagnostics.RunAsync"/>, in the order they run.</summary>
public enum SecureOpenAIDiagnosticCheck
{
    /// <summary>The endpoint's name resolves to addresses the network policy allows; nothing is sent.</summary>
    Network,

    /// <summary>A TLS handshake with the endpoint, at an address the network step verified: certificate chain and name.</summary>
    Tls,

    /// <summary>The credential chain gives a token; names the credential that answered, never the token.</summary>
    Credential,

    /// <summary>The token's claims that decide whether Azure OpenAI accepts it: audience, tenant, object id, expiry.</summary>
    Token,

    /// <summary>One harmless data-plane call, the models list, and what its answer means.</summary>
    DataPlane,

    /// <summary>A configured deployment exists on the resource (a request with an empty body, which generates nothing).</summary>
    Deployment,
}
