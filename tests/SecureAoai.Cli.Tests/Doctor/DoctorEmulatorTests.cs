using System.Text.Json.Nodes;

namespace SecureAoai.Cli.Tests.Doctor;

/// <summary>
/// <c>secureaoai doctor</c> against the emulator, the real WorkloadIdentityCredential and a real DNS
/// server, made to fail at each step in turn: the failed step, its fix, and every later step skipped.
/// </summary>
[Collection(DoctorRunsAlone.Name)]
public sealed class DoctorEmulatorTests(DoctorEmulator env) : IClassFixture<DoctorEmulator>
{
    private static readonly string[] AllOk = ["network:ok", "tls:ok", "credential:ok", "token:ok", "data-plane:ok", "deployment:ok"];

    [Fact]
    public async Task Doctor_EverythingRight_EveryStepOkAndExitZero()
    {
        var run = await env.RunAsync(env.Settings(), "--json");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(AllOk, run.Outline);
        Assert.True(run.Root.GetProperty("ok").GetBoolean());
        var steps = run.Steps.Select(s => s.GetProperty("detail").GetString()!).ToArray();
        Assert.Contains("aoai-east.privatelink.openai.azure.com", steps[0], StringComparison.Ordinal);
        Assert.Contains("trusted by the test CA", steps[1], StringComparison.Ordinal);
        Assert.Contains("WorkloadIdentity gave a token", steps[2], StringComparison.Ordinal);
        Assert.Contains($"object id {DoctorEmulator.WithRole.ObjectId}", steps[3], StringComparison.Ordinal);
        Assert.Contains($"tenant {env.Emulator.TenantId}", steps[3], StringComparison.Ordinal);
        Assert.Contains("audience https://cognitiveservices.azure.com", steps[3], StringComparison.Ordinal);
        Assert.Contains("gpt-4o-mini-2024-07-18", steps[4], StringComparison.Ordinal);
        Assert.Contains("found deployment 'gpt-4o-mini'", steps[5], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_ClassicApiVersion_ChecksTheDeploymentsUrlStyle()
    {
        var run = await env.RunAsync(env.Settings(), "--json", "--api-version", "2024-10-21");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(AllOk, run.Outline);
        Assert.Contains("/openai/models?api-version=2024-10-21", run.Steps[4].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("/openai/deployments/gpt-4o-mini/chat/completions", run.Steps[5].GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_EverythingRight_TextListsEachStepAndSaysOk()
    {
        var run = await env.RunAsync(env.Settings());

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("verdict   OK", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"credential\s+ok\s+WorkloadIdentity gave a token", run.Output);
        Assert.Matches(@"data-plane\s+ok\s+https://aoai-east\.openai\.azure\.com:\d+/: GET /openai/v1/models answered 200", run.Output);
        Assert.EndsWith("OK: every check passed.", run.Output.TrimEnd(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_NameResolvesToPublicAddress_FailsAtNetworkAndSendsNothing()
    {
        var requests = env.Serving.RequestCount;
        var tokens = env.Emulator.TokensIssued;

        var run = await env.RunAsync(env.Settings(DoctorEmulator.PublicHost), "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["network:failed", "tls:skipped", "credential:skipped", "token:skipped", "data-plane:skipped", "deployment:skipped"], run.Outline);
        Assert.Contains("not linked to this client's VNet", run.Failed.GetProperty("fix").GetString(), StringComparison.Ordinal);
        Assert.Equal("PolicyViolation", run.Root.GetProperty("failure").GetString());
        Assert.Contains("Not run: the network check of aoai-public.openai.azure.com", run.Steps[1].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal((requests, tokens), (env.Serving.RequestCount, env.Emulator.TokensIssued));
    }

    [Fact]
    public async Task Doctor_CertificateForAnotherName_FailsAtTlsNamingTheCertificatesNames()
    {
        var tokens = env.Emulator.TokensIssued;

        var run = await env.RunAsync(env.Settings(DoctorEmulator.UncertifiedHost), "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["network:ok", "tls:failed", "credential:skipped", "token:skipped", "data-plane:skipped", "deployment:skipped"], run.Outline);
        var failed = run.Failed;
        Assert.Contains($"not {DoctorEmulator.UncertifiedHost}", failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains(DoctorEmulator.PrivateHost, failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("custom subdomain", failed.GetProperty("fix").GetString(), StringComparison.Ordinal);
        Assert.Contains("--endpoint", failed.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(tokens, env.Emulator.TokensIssued);
    }

    [Fact]
    public async Task Doctor_EmulatorCaNotTrusted_FailsAtTlsPointingAtTrustedCa()
    {
        var settings = env.Settings();
        settings.Remove("TrustedCaCertificatePath");

        var run = await env.RunAsync(settings, "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("tls", run.Failed.GetProperty("name").GetString());
        Assert.Contains("not trusted", run.Failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("SecureOpenAI:TrustedCaCertificatePath", run.Failed.GetProperty("fix").GetString(), StringComparison.Ordinal);
        Assert.Equal(["--trusted-ca"], run.Failed.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
    }

    [Fact]
    public async Task Doctor_FederationDoesNotTrustTheToken_FailsAtCredentialWithEntrasReason()
    {
        var settings = env.Settings();
        settings["Credential"]!["FederatedTokenFile"] = env.UntrustedTokenFile;
        var requests = env.Serving.RequestCount;

        var run = await env.RunAsync(settings, "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["network:ok", "tls:ok", "credential:failed", "token:skipped", "data-plane:skipped", "deployment:skipped"], run.Outline);
        Assert.Contains("WorkloadIdentity: failed", run.Failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("AADSTS70021", run.Failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("system:serviceaccount:NAMESPACE:NAME", run.Failed.GetProperty("fix").GetString(), StringComparison.Ordinal);
        Assert.Equal(requests, env.Serving.RequestCount);
    }

    [Fact]
    public async Task Doctor_NoCredentialSetUpHere_FailsAtCredentialSayingWhatToSetUp()
    {
        var settings = env.Settings();
        settings["Credential"] = new JsonObject { ["Sources"] = new JsonArray("WorkloadIdentity"), ["AuthorityHost"] = env.Emulator.AuthorityHost.ToString() };

        var run = await env.RunAsync(settings, "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("credential", run.Failed.GetProperty("name").GetString());
        Assert.Contains("WorkloadIdentity: not set up here", run.Failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("AZURE_FEDERATED_TOKEN_FILE", run.Failed.GetProperty("fix").GetString(), StringComparison.Ordinal);
        Assert.Equal(["--credential"], run.Failed.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
    }

    [Fact]
    public async Task Doctor_ScopeOfAnotherResource_FailsAtTokenNamingItsAudience()
    {
        var requests = env.Serving.RequestCount;

        var run = await env.RunAsync(env.Settings(), "--json", "--scope", "https://storage.azure.com/.default");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["network:ok", "tls:ok", "credential:ok", "token:failed", "data-plane:skipped", "deployment:skipped"], run.Outline);
        Assert.Contains("audience https://storage.azure.com", run.Failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("audience 'https://storage.azure.com'", run.Failed.GetProperty("fix").GetString(), StringComparison.Ordinal);
        Assert.Contains("https://cognitiveservices.azure.com/.default", run.Failed.GetProperty("fix").GetString(), StringComparison.Ordinal);
        Assert.Equal(["--scope"], run.Failed.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
        Assert.Equal(requests, env.Serving.RequestCount);
    }

    [Fact]
    public async Task Doctor_FirewallDeniesThisClient_FailsAtDataPlaneNamingThePrivateEndpointPath()
    {
        var run = await env.RunAsync(env.Settings(instance: env.Firewalled), "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["network:ok", "tls:ok", "credential:ok", "token:ok", "data-plane:failed", "deployment:skipped"], run.Outline);
        Assert.Contains("403 (FirewallDenied)", run.Failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("Virtual Network/Firewall rules", run.Failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("privatelink.openai.azure.com", run.Failed.GetProperty("fix").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_IdentityWithoutTheRole_FailsAtDataPlaneNamingRoleAndPrincipal()
    {
        var settings = env.Settings();
        settings["Credential"]!["ClientId"] = env.FederationWithoutRole.ClientId;
        settings["Credential"]!["FederatedTokenFile"] = env.TokenFileWithoutRole;

        var run = await env.RunAsync(settings, "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["network:ok", "tls:ok", "credential:ok", "token:ok", "data-plane:failed", "deployment:skipped"], run.Outline);
        Assert.Contains("401 (PermissionDenied)", run.Failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var fix = run.Failed.GetProperty("fix").GetString();
        Assert.Contains("Cognitive Services OpenAI User", fix, StringComparison.Ordinal);
        Assert.Contains(DoctorEmulator.WithoutRole.ObjectId, fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_TokenFromAnotherTenantsAuthority_FailsAtDataPlaneAsARefusedToken()
    {
        var settings = env.Settings();
        settings["Credential"]!["TenantId"] = env.OtherTenant.TenantId;
        settings["Credential"]!["FederatedTokenFile"] = env.OtherTenantTokenFile;
        settings["Credential"]!["AuthorityHost"] = env.OtherTenant.AuthorityHost.ToString();

        var run = await env.RunAsync(settings, "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["network:ok", "tls:ok", "credential:ok", "token:ok", "data-plane:failed", "deployment:skipped"], run.Outline);
        Assert.Contains("401 (Unauthorized)", run.Failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains($"issued by tenant {env.OtherTenant.TenantId}", run.Failed.GetProperty("fix").GetString(), StringComparison.Ordinal);
        Assert.Contains("resource's tenant", run.Failed.GetProperty("fix").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_ApiKeyWhereKeyAuthIsDisabled_FailsAtDataPlaneSayingUseEntra()
    {
        var settings = env.Settings();
        settings["ApiKey"] = env.Serving.ApiKey;
        settings["AllowApiKey"] = true;

        var run = await env.RunAsync(settings, "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["network:ok", "tls:ok", "credential:skipped", "token:skipped", "data-plane:failed", "deployment:skipped"], run.Outline);
        Assert.Contains("API key is configured", run.Steps[2].GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("403 (KeyAuthDisabled)", run.Failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("authenticate with Entra ID", run.Failed.GetProperty("fix").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(env.Serving.ApiKey, run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_DeploymentMissing_FailsAtThatDeploymentOnly()
    {
        var run = await env.RunAsync(env.Settings(), "--json", "--deployment", "gpt-does-not-exist");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["network:ok", "tls:ok", "credential:ok", "token:ok", "data-plane:ok", "deployment:ok", "deployment:failed"], run.Outline);
        Assert.Equal("gpt-does-not-exist", run.Failed.GetProperty("deployment").GetString());
        Assert.Contains("404 (DeploymentNotFound)", run.Failed.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("SecureOpenAI:Deployments", run.Failed.GetProperty("fix").GetString(), StringComparison.Ordinal);
        Assert.Equal(["--deployment"], run.Failed.GetProperty("flags").EnumerateArray().Select(f => f.GetString()));
    }

    [Fact]
    public async Task Doctor_TwoEndpointsSecondBehindFirewall_ChecksBothAndFailsAtTheSecondsDataPlane()
    {
        var settings = env.Settings();
        settings.Remove("Endpoint");
        settings["Endpoints"] = new JsonArray(
            new JsonObject { ["Name"] = "east", ["Uri"] = $"https://{DoctorEmulator.PrivateHost}:{env.Serving.Port}/" },
            new JsonObject { ["Name"] = "west", ["Uri"] = $"https://{DoctorEmulator.PrivateHost}:{env.Firewalled.Port}/" });

        var run = await env.RunAsync(settings, "--json");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["network:ok", "tls:ok", "network:ok", "tls:ok", "credential:ok", "token:ok", "data-plane:ok", "deployment:ok", "data-plane:failed", "deployment:skipped"], run.Outline);
        Assert.Contains($":{env.Firewalled.Port}/", run.Failed.GetProperty("endpoint").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_FailureInText_NamesTheStepTheFixAndTheFlag()
    {
        var run = await env.RunAsync(env.Settings(), "--scope", "https://storage.azure.com/.default");

        Assert.Equal(1, run.ExitCode);
        Assert.Matches(@"token\s+FAILED\s+audience https://storage\.azure\.com", run.Output);
        Assert.Matches(@"data-plane\s+skipped\s+https://aoai-east\.openai\.azure\.com:\d+/: Not run: the token check failed first\.", run.Output);
        Assert.Contains("FAILED at token", run.Output, StringComparison.Ordinal);
        Assert.Contains("fix: The token the credential gave is for audience 'https://storage.azure.com'", run.Output, StringComparison.Ordinal);
        Assert.Contains("--scope sets SecureOpenAI:Credential:Scope", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_TokensAndKeysFlowing_NeverPrintsATokenKeyOrAssertion()
    {
        var withKey = env.Settings();
        withKey["ApiKey"] = env.Serving.ApiKey;
        withKey["AllowApiKey"] = true;
        var runs = new[]
        {
            await env.RunAsync(env.Settings()),
            await env.RunAsync(env.Settings(), "--json"),
            await env.RunAsync(env.Settings(instance: env.Firewalled), "--json"),
            await env.RunAsync(env.Settings(), "--json", "--scope", "https://storage.azure.com/.default"),
            await env.RunAsync(withKey),
            await env.RunAsync(withKey, "--json"),
        };

        Assert.Equal(0, runs[0].ExitCode);
        var assertion = (await File.ReadAllTextAsync(env.TokenFile)).Trim();
        foreach (var printed in runs.SelectMany(r => new[] { r.Output, r.Error }))
        {
            // Every JWT (the access tokens doctor held, the federated assertion) starts with the base64 of '{"'.
            Assert.DoesNotContain("eyJ", printed, StringComparison.Ordinal);
            Assert.DoesNotContain(assertion, printed, StringComparison.Ordinal);
            Assert.DoesNotContain(env.Serving.ApiKey, printed, StringComparison.Ordinal);
            Assert.DoesNotContain("PRIVATE KEY", printed, StringComparison.Ordinal);
        }
    }
}

/// <summary>
/// Doctor's emulator tests run on their own, after the others: they start two emulators and a DNS
/// server, and LoadCommandTests counts round trips within one wall-clock second, which a busy
/// machine can fill with the first dial alone.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DoctorRunsAlone
{
    public const string Name = "Doctor against the emulator";
}
