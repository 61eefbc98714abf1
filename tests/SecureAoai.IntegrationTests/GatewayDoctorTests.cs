using Microsoft.Extensions.Configuration;
using SecureAoai.Client;
using SecureAoai.Client.Diagnostics;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>
/// <see cref="SecureOpenAIDiagnostics"/> (doctor) against two emulated API Management gateways: it
/// calls each below its own path prefix with the credential requests carry there (a token for the
/// endpoint's own scope, or the endpoint's subscription key in its header), and a gateway's refusal
/// names the endpoint's setting, as the SDK's errors do.
/// </summary>
public sealed class GatewayDoctorTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static SecureOpenAIOptions Options(Dictionary<string, string?> settings)
    {
        var options = new SecureOpenAIOptions();
        new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection(SecureOpenAIOptions.SectionName).Bind(options);
        return options;
    }

    private static string Steps(SecureOpenAIDiagnosticReport report) =>
        string.Join(Environment.NewLine, report.Steps.Select(s => $"{s.Check} {s.Endpoint} {s.Status}: {s.Detail} {s.Fix}"));

    [Fact]
    public async Task RunAsync_TwoGatewaysWithTheirOwnAudiences_TokenPerScopeAndEachGatewayCalledBelowItsPrefix()
    {
        var rig = fixture.Entra;
        var (east, west) = (rig.East.RequestCount, rig.West.RequestCount);

        var report = await SecureOpenAIDiagnostics.RunAsync(Options(rig.Endpoints(rig.East, rig.West)));

        Assert.True(report.IsHealthy, Steps(report));
        var credentials = report.Steps.Where(s => s.Check == SecureOpenAIDiagnosticCheck.Credential).ToArray();
        Assert.Equal(2, credentials.Length);
        Assert.Contains($"'{GatewayRig.EastAudience}/.default' (SecureOpenAI:Endpoints:0:Scope)", credentials[0].Detail, StringComparison.Ordinal);
        Assert.Contains($"'{GatewayRig.WestAudience}/.default' (SecureOpenAI:Endpoints:1:Scope)", credentials[1].Detail, StringComparison.Ordinal);
        Assert.Equal(
            [rig.East.Endpoint, rig.West.Endpoint],
            report.Steps.Where(s => s.Check == SecureOpenAIDiagnosticCheck.DataPlane).Select(s => s.Endpoint));
        Assert.True(rig.East.RequestCount > east);
        Assert.True(rig.West.RequestCount > west);
    }

    [Fact]
    public async Task RunAsync_GatewaysWithSubscriptionKeys_EachGetsItsKeyInItsHeaderAndNoTokenIsAskedFor()
    {
        var rig = fixture.Keys;

        var report = await SecureOpenAIDiagnostics.RunAsync(Options(rig.Endpoints(rig.East, rig.West)));

        Assert.True(report.IsHealthy, Steps(report));
        var credential = report.Steps.Single(s => s.Check == SecureOpenAIDiagnosticCheck.Credential);
        Assert.Equal(SecureOpenAIDiagnosticStatus.Skipped, credential.Status);
        Assert.Contains("SecureOpenAI:Endpoints:0:SubscriptionKey, SecureOpenAI:Endpoints:1:SubscriptionKey", credential.Detail, StringComparison.Ordinal);
        Assert.DoesNotContain(rig.East.SubscriptionKey, Steps(report), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_SecondGatewayGetsATokenForTheFirstsAudience_FailsAtItsDataPlaneNamingItsScopeSetting()
    {
        var rig = fixture.Entra;
        var settings = rig.Endpoints(rig.East, rig.West);
        settings["SecureOpenAI:Endpoints:1:Scope"] = GatewayRig.EastAudience + "/.default";

        var report = await SecureOpenAIDiagnostics.RunAsync(Options(settings));

        var failed = Assert.IsType<SecureOpenAIDiagnosticStep>(report.Failure);
        Assert.Equal(SecureOpenAIDiagnosticCheck.DataPlane, failed.Check);
        Assert.Equal(rig.West.Endpoint, failed.Endpoint);
        Assert.Contains("(Unauthorized)", failed.Detail, StringComparison.Ordinal);
        Assert.Contains("set SecureOpenAI:Endpoints:1:Scope to that audience", failed.Fix, StringComparison.Ordinal);
        Assert.Contains("SecureOpenAI:Endpoints:1:Scope", failed.Settings);
    }

    [Fact]
    public async Task RunAsync_WrongSubscriptionKey_FailsNamingTheKeySettingAndHeaderNeverTheKey()
    {
        var rig = fixture.Keys;
        var settings = rig.Endpoints(rig.East, rig.West);
        const string wrong = "0123456789abcdef0123456789abcdef";
        settings["SecureOpenAI:Endpoints:1:SubscriptionKey"] = wrong;

        var report = await SecureOpenAIDiagnostics.RunAsync(Options(settings));

        var failed = Assert.IsType<SecureOpenAIDiagnosticStep>(report.Failure);
        Assert.Equal(SecureOpenAIDiagnosticCheck.DataPlane, failed.Check);
        Assert.Equal(rig.West.Endpoint, failed.Endpoint);
        Assert.Contains($"sent in the '{rig.West.SubscriptionKeyHeader}' header: check SecureOpenAI:Endpoints:1:SubscriptionKey", failed.Fix, StringComparison.Ordinal);
        Assert.Equal(["SecureOpenAI:Endpoints:1:SubscriptionKey"], failed.Settings);
        Assert.DoesNotContain(wrong, Steps(report), StringComparison.Ordinal);
    }
}
