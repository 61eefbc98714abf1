namespace SecureAoai.Overlay.Tests.Controller;

/// <summary>Public mirror of the internal policy type, so theory data can be public.</summary>
public enum ServicePolicyTypeName
{
    Dial,
    Bind,
}
