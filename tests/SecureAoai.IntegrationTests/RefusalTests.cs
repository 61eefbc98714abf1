using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.Client;
using SecureAoai.Client.Credentials;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>Each refusal the resource can give reaches the caller with its cause and the fix.</summary>
public sealed class RefusalTests(WorkloadIdentityEmulator fixture) : IClassFixture<WorkloadIdentityEmulator>
{
    private static Task<System.ClientModel.ClientResult<ChatCompletion>> AskAsync(ServiceProvider provider) =>
        provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("hello")]);

    [Fact]
    public async Task CompleteChat_WrongAudience_SaysWhichAudienceTheTokenHad()
    {
        var settings = fixture.Settings();
        settings["SecureOpenAI:Credential:Scope"] = "https://storage.azure.com/.default";
        using var provider = SecureClients.Build(settings);

        var error = await Assert.ThrowsAsync<SecureOpenAIException>(() => AskAsync(provider));

        // Azure's 401 is the same for every bad token; the SDK reads its own token's claims to say which is wrong.
        Assert.Equal(SecureOpenAIRefusal.Unauthorized, error.Reason);
        Assert.Equal(401, error.Status);
        Assert.Contains("audience 'https://storage.azure.com'", error.Message, StringComparison.Ordinal);
        Assert.Contains("https://storage.azure.com/.default", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteChat_ExpiredToken_SaysItExpiredAfterOneRefresh()
    {
        // A token already expired but reported valid for an hour: what a client with a skewed clock
        // holds. The refresh gets the same kind, so the 401 comes back.
        var credential = new MintingCredential(_ => fixture.Emulator.CreateAccessToken(WorkloadIdentityEmulator.WithRole.ClientId, lifetime: TimeSpan.FromMinutes(-5)));
        using var provider = SecureClients.Build(fixture.Settings(), credential);
        var requestsBefore = fixture.Instance.RequestCount;

        var error = await Assert.ThrowsAsync<SecureOpenAIException>(() => AskAsync(provider));

        Assert.Equal(SecureOpenAIRefusal.Unauthorized, error.Reason);
        Assert.Contains("token sent had expired", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, credential.Calls);
        Assert.Equal(requestsBefore + 2, fixture.Instance.RequestCount);
    }

    [Fact]
    public async Task CompleteChat_IdentityWithoutRole_NamesRoleAndPrincipalAfterOneRequest()
    {
        var settings = fixture.Settings();
        settings["SecureOpenAI:Credential:ClientId"] = fixture.FederationWithoutRole.ClientId;
        settings["SecureOpenAI:Credential:FederatedTokenFile"] = fixture.TokenFileWithoutRole;
        using var provider = SecureClients.Build(settings);
        var requestsBefore = fixture.Instance.RequestCount;
        var tokensBefore = fixture.Emulator.TokensIssued;

        var error = await Assert.ThrowsAsync<SecureOpenAIException>(() => AskAsync(provider));

        // Azure answers a missing role with 401 PermissionDenied: a new token would not have the role,
        // so the SDK neither refreshes nor sends the request again.
        Assert.Equal(SecureOpenAIRefusal.PermissionDenied, error.Reason);
        Assert.Equal(401, error.Status);
        Assert.Equal("PermissionDenied", error.ErrorCode);
        Assert.Contains("Cognitive Services OpenAI User", error.Message, StringComparison.Ordinal);
        Assert.Contains(WorkloadIdentityEmulator.WithoutRole.ObjectId, error.Message, StringComparison.Ordinal);
        Assert.Equal(requestsBefore + 1, fixture.Instance.RequestCount);
        Assert.Equal(tokensBefore + 1, fixture.Emulator.TokensIssued);
    }

    [Fact]
    public async Task CompleteChat_FirewallDeniesClient_NamesNetworkRulesAndPrivateEndpoint()
    {
        using var provider = SecureClients.Build(fixture.Settings());
        fixture.Instance.AllowedSourceCidrs.Add("10.0.0.0/8");
        try
        {
            var error = await Assert.ThrowsAsync<SecureOpenAIException>(() => AskAsync(provider));

            Assert.Equal(SecureOpenAIRefusal.FirewallDenied, error.Reason);
            Assert.Contains("Virtual Network/Firewall rules", error.Message, StringComparison.Ordinal);
            Assert.Contains("private endpoint", error.Message, StringComparison.Ordinal);
            Assert.Contains("privatelink.openai.azure.com", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            fixture.Instance.AllowedSourceCidrs.Clear();
        }
    }

    [Fact]
    public async Task CompleteChat_ApiKeyAllowedButKeyAuthDisabled_SaysToUseEntra()
    {
        var settings = SecureClients.Settings(fixture.Emulator, fixture.Instance);
        settings["SecureOpenAI:ApiKey"] = fixture.Instance.ApiKey;
        settings["SecureOpenAI:AllowApiKey"] = "true";
        using var provider = SecureClients.Build(settings);

        var error = await Assert.ThrowsAsync<SecureOpenAIException>(() => AskAsync(provider));

        Assert.Equal(SecureOpenAIRefusal.KeyAuthDisabled, error.Reason);
        Assert.Contains("Entra ID", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(fixture.Instance.ApiKey, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteChat_ApiKeyAllowedAndEnabled_Answers()
    {
        var settings = SecureClients.Settings(fixture.Emulator, fixture.Instance);
        settings["SecureOpenAI:ApiKey"] = fixture.Instance.ApiKey;
        settings["SecureOpenAI:AllowApiKey"] = "true";
        using var provider = SecureClients.Build(settings);
        fixture.Instance.KeyAuthEnabled = true;
        try
        {
            var completion = await AskAsync(provider);

            Assert.Contains("hello", completion.Value.Content[0].Text, StringComparison.Ordinal);
        }
        finally
        {
            fixture.Instance.KeyAuthEnabled = false;
        }
    }

    [Fact]
    public async Task CompleteChat_FederationSubjectNotTrusted_ChainExceptionCarriesEntraReason()
    {
        var untrusted = Path.Combine(Path.GetTempPath(), $"secureaoai-test-{Guid.NewGuid():N}.jwt");
        await File.WriteAllTextAsync(untrusted, fixture.Emulator.CreateFederatedToken(new() { ClientId = fixture.Federation.ClientId, Subject = "system:serviceaccount:prod:intruder" }));
        var settings = fixture.Settings();
        settings["SecureOpenAI:Credential:FederatedTokenFile"] = untrusted;
        using var provider = SecureClients.Build(settings);
        try
        {
            var error = await Assert.ThrowsAsync<CredentialChainException>(() => AskAsync(provider));

            Assert.Equal("WorkloadIdentity", Assert.Single(error.Attempts).Name);
            Assert.True(error.Message.Contains("AADSTS70021", StringComparison.Ordinal), error.Message);
        }
        finally
        {
            File.Delete(untrusted);
        }
    }

    [Fact]
    public async Task CompleteChat_UnknownDeployment_SaysToCheckDeploymentNames()
    {
        var settings = fixture.Settings();
        settings["SecureOpenAI:Deployments:chat:Name"] = "gpt-does-not-exist";
        using var provider = SecureClients.Build(settings);

        var error = await Assert.ThrowsAsync<SecureOpenAIException>(() => AskAsync(provider));

        Assert.Equal(SecureOpenAIRefusal.DeploymentNotFound, error.Reason);
        Assert.Contains("SecureOpenAI:Deployments", error.Message, StringComparison.Ordinal);
    }
}
