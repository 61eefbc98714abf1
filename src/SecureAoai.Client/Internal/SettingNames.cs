namespace SecureAoai.Client.Internal;

/// <summary>The configuration names of the settings that fixes point at, so a tool can map each to its own way of setting it.</summary>
internal static class SettingNames
{
    public const string Endpoint = "SecureOpenAI:Endpoint";
    public const string ApiKey = "SecureOpenAI:ApiKey";
    public const string ApiVersion = "SecureOpenAI:ApiVersion";
    public const string Deployments = "SecureOpenAI:Deployments";
    public const string TrustedCaCertificatePath = "SecureOpenAI:TrustedCaCertificatePath";
    public const string DnsServers = "SecureOpenAI:Network:DnsServers";
    public const string HostOverrides = "SecureOpenAI:Network:HostOverrides";
    public const string Policy = "SecureOpenAI:Network:Policy";
    public const string CredentialSources = "SecureOpenAI:Credential:Sources";
    public const string Scope = "SecureOpenAI:Credential:Scope";
    public const string NetworkTimeout = "SecureOpenAI:NetworkTimeout";
}
