namespace SecureAoai.Overlay.Controller;

/// <summary>
/// Decides Dial/Bind over a snapshot of services and policies. A policy applies to an identity
/// when its identity roles select the identity, and to a service when its service roles select
/// the service, both under the policy's one semantic (AnyOf/AllOf), as in OpenZiti. Access is the
/// union of the applying policies; a revoked or unenrolled-and-revoked identity gets nothing.
/// </summary>
internal sealed class PolicyEvaluator(IReadOnlyList<ServiceRecord> services, IReadOnlyList<ServicePolicyRecord> policies)
{
    public bool CanDial(IdentityRecord identity, ServiceRecord service) => Allows(identity, service, ServicePolicyType.Dial);

    public bool CanBind(IdentityRecord identity, ServiceRecord service) => Allows(identity, service, ServicePolicyType.Bind);

    public IReadOnlyList<ServiceRecord> DialableServices(IdentityRecord identity) => [.. services.Where(s => CanDial(identity, s))];

    public IReadOnlyList<ServiceRecord> BindableServices(IdentityRecord identity) => [.. services.Where(s => CanBind(identity, s))];

    public bool Allows(IdentityRecord identity, ServiceRecord service, ServicePolicyType type)
    {
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(service);
        if (identity.IsRevoked)
        {
            return false;
        }

        return policies.Any(p =>
            p.Type == type &&
            RoleExpressions.Matches(p.IdentityRoles, p.Semantic, identity.Name, identity.Roles) &&
            RoleExpressions.Matches(p.ServiceRoles, p.Semantic, service.Name, service.Roles));
    }
}
