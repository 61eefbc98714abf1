using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using SecureAoai.Client.Credentials;
using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Tests.Credentials;

public sealed class CredentialChainTests
{
    private static readonly TokenRequestContext Context = new(["https://cognitiveservices.azure.com/.default"]);
    private readonly FakeTimeProvider _time = new();
    private readonly CapturingLogger _logger = new();

    [Fact]
    public async Task GetToken_FirstUnavailable_UsesNextAndLogsItOnce()
    {
        var working = new CountingCredential(_time, TimeSpan.FromHours(1));
        var chain = new CredentialChain(
            [new("WorkloadIdentity", new UnavailableCredential("no token file")), new("ManagedIdentity", working)], _logger);

        await chain.GetTokenAsync(Context, default);
        await chain.GetTokenAsync(Context, default);

        Assert.Equal("ManagedIdentity", chain.SelectedName);
        Assert.Single(_logger.Messages, m => m.Contains("ManagedIdentity", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetToken_AllUnavailable_ListsEveryCredentialAndWhy()
    {
        var chain = new CredentialChain(
            [new("WorkloadIdentity", new UnavailableCredential("AZURE_FEDERATED_TOKEN_FILE is not set")),
             new("ManagedIdentity", new UnavailableCredential("no managed identity endpoint answered")),
             new("Developer", new UnavailableCredential("developer credentials are off outside the Development environment"))], _logger);

        var error = await Assert.ThrowsAsync<CredentialChainException>(() => chain.GetTokenAsync(Context, default).AsTask());

        Assert.Equal(["WorkloadIdentity", "ManagedIdentity", "Developer"], error.Attempts.Select(a => a.Name));
        Assert.Contains("AZURE_FEDERATED_TOKEN_FILE is not set", error.Message, StringComparison.Ordinal);
        Assert.Contains("no managed identity endpoint answered", error.Message, StringComparison.Ordinal);
        Assert.Contains("off outside the Development environment", error.Message, StringComparison.Ordinal);
        Assert.IsAssignableFrom<AuthenticationFailedException>(error);
    }

    [Fact]
    public async Task GetToken_ConfiguredCredentialFails_StopsInsteadOfFallingBack()
    {
        var fallback = new CountingCredential(_time, TimeSpan.FromHours(1));
        var broken = new CountingCredential(_time, TimeSpan.FromHours(1)) { Failure = new AuthenticationFailedException("AADSTS70021: No matching federated identity record") };
        var chain = new CredentialChain([new("WorkloadIdentity", broken), new("ManagedIdentity", fallback)], _logger);

        var error = await Assert.ThrowsAsync<CredentialChainException>(() => chain.GetTokenAsync(Context, default).AsTask());

        Assert.Equal(0, fallback.Calls);
        Assert.False(error.Attempts.Single().Unavailable);
        Assert.Contains("AADSTS70021", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_DeveloperOutsideDevelopment_ReportsHowToAllow()
    {
        var credentials = CredentialChainFactory.Create(
            new SecureOpenAICredentialOptions { Sources = [CredentialSource.Developer] }, EndpointTrust.SystemOnly, isDevelopment: false);

        var only = Assert.Single(credentials);
        var error = Assert.Throws<CredentialUnavailableException>(() => only.Credential.GetToken(Context, default));
        Assert.Contains("AllowDeveloperCredentials", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_DeveloperInDevelopment_UsesCliThenAzdThenVisualStudio()
    {
        var credentials = CredentialChainFactory.Create(
            new SecureOpenAICredentialOptions { Sources = [CredentialSource.Developer] }, EndpointTrust.SystemOnly, isDevelopment: true);

        Assert.Equal(["AzureCli", "AzureDeveloperCli", "VisualStudio"], credentials.Select(c => c.Name));
    }

    [Fact]
    public void Create_NoSourcesConfigured_UsesWorkloadThenManagedThenDeveloper()
    {
        var credentials = CredentialChainFactory.Create(new SecureOpenAICredentialOptions(), EndpointTrust.SystemOnly, isDevelopment: false);

        Assert.Equal(["WorkloadIdentity", "ManagedIdentity", "Developer"], credentials.Select(c => c.Name));
    }

    private sealed class CapturingLogger : ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));
    }
}
