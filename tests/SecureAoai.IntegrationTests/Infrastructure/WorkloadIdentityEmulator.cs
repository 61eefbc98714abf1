using SecureAoai.Emulator;

namespace SecureAoai.IntegrationTests.Infrastructure;

/// <summary>
/// An emulator with a workload-identity federation and its token file written, as the AKS webhook
/// would. Each fixture owns one emulator, so tests that change it at run time do not meet others.
/// </summary>
public class WorkloadIdentityEmulator : IAsyncLifetime
{
    public static readonly EmulatorIdentity WithRole = new() { ClientId = "aaaaaaaa-0000-0000-0000-000000000001" };
    public static readonly EmulatorIdentity WithoutRole = new() { ClientId = "aaaaaaaa-0000-0000-0000-000000000002", HasOpenAIUserRole = false };

    public EmulatorServer Emulator { get; private set; } = null!;

    public EmulatorFederation Federation { get; } = new() { ClientId = WithRole.ClientId };

    public EmulatorFederation FederationWithoutRole { get; } = new() { ClientId = WithoutRole.ClientId, Subject = "system:serviceaccount:dev:no-role" };

    public string TokenFile { get; } = Path.Combine(Path.GetTempPath(), $"secureaoai-test-{Guid.NewGuid():N}.jwt");

    public string TokenFileWithoutRole { get; } = Path.Combine(Path.GetTempPath(), $"secureaoai-test-{Guid.NewGuid():N}.jwt");

    protected virtual TimeSpan TokenLifetime => TimeSpan.FromHours(1);

    /// <summary>Extra names for the emulator's certificate, set before <see cref="InitializeAsync"/>.</summary>
    public List<string> ServerHostNames { get; } = [];

    public EmulatorInstance Instance => Emulator.Instances[0];

    public Dictionary<string, string?> Settings() => SecureClients.WorkloadIdentity(Emulator, Instance, Federation, TokenFile);

    /// <summary><see cref="Settings"/> with a DNS server that does not exist, so only an overlay can reach the endpoint.</summary>
    public Dictionary<string, string?> SettingsWithoutDns()
    {
        var settings = Settings();
        settings["SecureOpenAI:Network:DnsServers:0"] = "127.0.0.1:9";
        settings["SecureOpenAI:Network:DnsTimeout"] = "00:00:00.200";
        return settings;
    }

    public async Task InitializeAsync()
    {
        var options = new EmulatorOptions { TokenLifetime = TokenLifetime };
        options.ServerHostNames.AddRange(ServerHostNames);
        options.Identities.Add(WithRole);
        options.Identities.Add(WithoutRole);
        options.Federations.Add(Federation);
        options.Federations.Add(FederationWithoutRole);
        Emulator = await EmulatorServer.StartAsync(options);
        await File.WriteAllTextAsync(TokenFile, Emulator.CreateFederatedToken(Federation));
        await File.WriteAllTextAsync(TokenFileWithoutRole, Emulator.CreateFederatedToken(FederationWithoutRole));
    }

    public async Task DisposeAsync()
    {
        await Emulator.DisposeAsync();
        File.Delete(TokenFile);
        File.Delete(TokenFileWithoutRole);
    }
}

/// <summary>Tokens that live seconds, so expiry and refresh happen within a test.</summary>
public sealed class ShortLivedTokenEmulator : WorkloadIdentityEmulator
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(4);

    protected override TimeSpan TokenLifetime => Lifetime;
}
