using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>
/// A token revoked before it expires: the resource answers 401, the SDK fetches one new token and the
/// call succeeds, without the caller seeing the 401.
/// </summary>
public sealed class RevocationTests(WorkloadIdentityEmulator fixture) : IClassFixture<WorkloadIdentityEmulator>
{
    [Fact]
    public async Task CompleteChat_TokenRevoked_RefreshesOnceAndSucceeds()
    {
        var logs = new CapturingLoggerProvider();
        using var provider = SecureClients.Build(fixture.Settings(), logs);
        var chat = provider.GetRequiredService<ChatClient>();
        await chat.CompleteChatAsync([new UserChatMessage("before revocation")]);
        var issuedBefore = fixture.Emulator.TokensIssued;
        var requestsBefore = fixture.Instance.RequestCount;

        fixture.Emulator.RevokeIssuedTokens();
        var answer = await chat.CompleteChatAsync([new UserChatMessage("after revocation")]);

        Assert.Equal(ChatFinishReason.Stop, answer.Value.FinishReason);
        Assert.Equal(issuedBefore + 1, fixture.Emulator.TokensIssued);
        Assert.Equal(requestsBefore + 2, fixture.Instance.RequestCount);
        Assert.Contains(logs.Lines, l => l.Contains("refused with 401 (claims challenge: True)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task CompleteChat_AfterRevocationRecovered_NextCallsUseNewToken()
    {
        using var provider = SecureClients.Build(fixture.Settings());
        var chat = provider.GetRequiredService<ChatClient>();
        await chat.CompleteChatAsync([new UserChatMessage("warm up")]);
        fixture.Emulator.RevokeIssuedTokens();
        await chat.CompleteChatAsync([new UserChatMessage("recover")]);
        var issuedAfterRecovery = fixture.Emulator.TokensIssued;
        var requestsAfterRecovery = fixture.Instance.RequestCount;

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => chat.CompleteChatAsync([new UserChatMessage($"call {i}")])));

        Assert.Equal(issuedAfterRecovery, fixture.Emulator.TokensIssued);
        Assert.Equal(requestsAfterRecovery + 8, fixture.Instance.RequestCount);
    }
}
