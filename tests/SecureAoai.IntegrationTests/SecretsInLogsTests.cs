using System.Collections.Concurrent;
using System.Diagnostics.Tracing;
using Azure.Core.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>
/// Everything a user could log, at every level, from our code, Azure.Identity and the HTTP stack:
/// none of it may hold a token, a key or a federated assertion.
/// </summary>
public sealed class SecretsInLogsTests(WorkloadIdentityEmulator fixture) : IClassFixture<WorkloadIdentityEmulator>
{
    [Fact]
    public async Task Logs_AfterSuccessfulAndRefusedCalls_HoldNoSecret()
    {
        var logs = new CapturingLoggerProvider();
        var azureEvents = new ConcurrentQueue<string>();
        using var azureListener = new AzureEventSourceListener((e, message) => azureEvents.Enqueue(message), EventLevel.Verbose);

        using (var provider = SecureClients.Build(fixture.Settings(), logs))
        {
            await provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("a successful call")]);
        }

        var wrongAudience = fixture.Settings();
        wrongAudience["SecureOpenAI:Credential:Scope"] = "https://storage.azure.com/.default";
        using (var provider = SecureClients.Build(wrongAudience, logs))
        {
            await Assert.ThrowsAnyAsync<Exception>(() => provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("refused")]));
        }

        var withKey = SecureClients.Settings(fixture.Emulator, fixture.Instance);
        withKey["SecureOpenAI:ApiKey"] = fixture.Instance.ApiKey;
        withKey["SecureOpenAI:AllowApiKey"] = "true";
        using (var provider = SecureClients.Build(withKey, logs))
        {
            await Assert.ThrowsAnyAsync<Exception>(() => provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("key refused")]));
        }

        var everything = logs.Lines.Concat(azureEvents).ToArray();
        Assert.NotEmpty(logs.Lines);
        var federatedToken = await File.ReadAllTextAsync(fixture.TokenFile);
        foreach (var line in everything)
        {
            // Every JWT (access tokens, the federated assertion) starts with the base64 of '{"'.
            Assert.DoesNotContain("eyJ", line, StringComparison.Ordinal);
            Assert.DoesNotContain(fixture.Instance.ApiKey, line, StringComparison.Ordinal);
            Assert.DoesNotContain(federatedToken.Trim(), line, StringComparison.Ordinal);
            Assert.DoesNotContain("PRIVATE KEY", line, StringComparison.Ordinal);
        }
    }
}
