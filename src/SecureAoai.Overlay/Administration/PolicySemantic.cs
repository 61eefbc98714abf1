namespace SecureAoai.Overlay;

/// <summary>
/// How a policy's role list matches an entity. As in OpenZiti, one semantic applies to both the
/// identity roles and the service (or router) roles of a policy.
/// </summary>
public enum PolicySemantic
{
    /// <summary>The entity matches when any role expression matches it.</summary>
    AnyOf,

    /// <summary>The entity matches when every role expression matches it.</summary>
    AllOf,
}
