using System.Net;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;

namespace SecureAoai.Emulator.Tests.Identity;

/// <summary>Tests that change process-wide environment variables; the collection runs them one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentTests
{
    public const string Name = "Process environment";
}

/// <summary>The real Azure.Identity credentials against the emulator over loopback sockets.</summary>
[Collection(ProcessEnvironmentTests.Name)]
public sealed class AzureIdentityCredentialTests
{
    private static readonly TokenRequestContext CognitiveServices = new(["https://cognitiveservices.azure.com/.default"]);

    // MSAL (4.90, inside Azure.Identity 1.21 with Azure.Core 1.64) caches the IMDS base address and
    // managed-identity tokens per process: only one test in this process may use IMDS through MSAL.
    [Fact]
    public async Task ManagedIdentityCredential_ImdsThroughPodIdentityHost_GetsTokenTheDataPlaneAccepts()
    {
        await using EmulatorServer server = await EmulatorServer.StartAsync(new EmulatorOptions());
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        string? previous = Environment.GetEnvironmentVariable("AZURE_POD_IDENTITY_AUTHORITY_HOST");
        try
        {
            Environment.SetEnvironmentVariable("AZURE_POD_IDENTITY_AUTHORITY_HOST", server.ImdsEndpoint.ToString());
            var credential = new ManagedIdentityCredential(
                new ManagedIdentityCredentialOptions(ManagedIdentityId.SystemAssigned) { Transport = new HttpClientTransport(http) });

            AccessToken token = await credential.GetTokenAsync(CognitiveServices, CancellationToken.None);

            Assert.Equal(1, server.TokensIssued);
            Assert.InRange(token.ExpiresOn - DateTimeOffset.UtcNow, TimeSpan.FromMinutes(55), TimeSpan.FromMinutes(61));
            using HttpResponseMessage chat = await EmulatorRequests.PostAsync(
                http, server["eastus"].Endpoint, EmulatorRequests.ChatPath, EmulatorRequests.ChatBody, bearer: token.Token);
            Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
        }
        finally
        {
            Environment.SetEnvironmentVariable("AZURE_POD_IDENTITY_AUTHORITY_HOST", previous);
        }
    }

    [Fact]
    public async Task WorkloadIdentityCredential_FederatedTokenFile_GetsTokenFromLocalhostAuthority()
    {
        var options = new EmulatorOptions();
        await using EmulatorServer server = await EmulatorServer.StartAsync(options);
        using HttpClient http = TestTrust.CreateHttpClient(server.CaCertificate);
        EmulatorFederation federation = options.Federations[0];
        string tokenFile = Path.Combine(Path.GetDirectoryName(server.CaCertificatePath)!, "federated-token");
        await File.WriteAllTextAsync(tokenFile, server.CreateFederatedToken(federation));
        var credential = new WorkloadIdentityCredential(new WorkloadIdentityCredentialOptions
        {
            TenantId = server.TenantId,
            ClientId = federation.ClientId,
            TokenFilePath = tokenFile,
            AuthorityHost = server.AuthorityHost,
            DisableInstanceDiscovery = true,
            Transport = new HttpClientTransport(http),
        });

        AccessToken token = await credential.GetTokenAsync(CognitiveServices, CancellationToken.None);

        Assert.Equal(1, server.TokensIssued);
        using HttpResponseMessage chat = await EmulatorRequests.PostAsync(
            http, server["eastus"].Endpoint, EmulatorRequests.ChatPath, EmulatorRequests.ChatBody, bearer: token.Token);
        Assert.Equal(HttpStatusCode.OK, chat.StatusCode);
    }
}
