using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>AddHealthChecks().AddSecureOpenAI(): credential and network checks against the emulator.</summary>
public sealed class HealthCheckTests(WorkloadIdentityEmulator fixture) : IClassFixture<WorkloadIdentityEmulator>
{
    private static async Task<HealthReport> CheckAsync(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI"));
        services.AddHealthChecks().AddSecureOpenAI();
        await using var provider = services.BuildServiceProvider();
        return await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
    }

    [Fact]
    public async Task Health_WorkingSetup_BothHealthyAndNoTokenInReport()
    {
        var report = await CheckAsync(fixture.Settings());

        Assert.Equal(HealthStatus.Healthy, report.Status);
        Assert.Contains("WorkloadIdentity", report.Entries["secureopenai-credential"].Description, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1 (loopback)", report.Entries["secureopenai-network"].Description, StringComparison.Ordinal);
        Assert.All(report.Entries.Values, e => Assert.DoesNotContain("eyJ", e.Description ?? "", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Health_EndpointResolvesToPublicAddress_NetworkUnhealthyWithTheCause()
    {
        var settings = fixture.Settings();
        settings["SecureOpenAI:Endpoint"] = $"https://aoai-east.openai.azure.com:{fixture.Instance.Port}/";
        settings["SecureOpenAI:Network:HostOverrides:aoai-east.openai.azure.com"] = "20.1.2.3";

        var report = await CheckAsync(settings);

        var network = report.Entries["secureopenai-network"];
        Assert.Equal(HealthStatus.Unhealthy, network.Status);
        Assert.Contains("20.1.2.3 (public)", network.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_FederatedTokenNotTrusted_CredentialUnhealthyWithEntraReason()
    {
        var untrusted = Path.Combine(Path.GetTempPath(), $"secureaoai-test-{Guid.NewGuid():N}.jwt");
        await File.WriteAllTextAsync(untrusted, fixture.Emulator.CreateFederatedToken(new() { ClientId = fixture.Federation.ClientId, Subject = "system:serviceaccount:prod:intruder" }));
        try
        {
            var settings = fixture.Settings();
            settings["SecureOpenAI:Credential:FederatedTokenFile"] = untrusted;

            var report = await CheckAsync(settings);

            var credential = report.Entries["secureopenai-credential"];
            Assert.Equal(HealthStatus.Unhealthy, credential.Status);
            Assert.Contains("AADSTS70021", credential.Description, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(untrusted);
        }
    }
}
