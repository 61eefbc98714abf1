namespace SecureAoai.Overlay;

/// <summary>What a service policy grants: using a service or hosting it.</summary>
public enum ServicePolicyType
{
    /// <summary>The identities may dial (use) the services.</summary>
    Dial,

    /// <summary>The identities may bind (host) the services.</summary>
    Bind,
}
