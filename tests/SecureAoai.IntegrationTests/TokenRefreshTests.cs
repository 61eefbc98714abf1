using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>Tokens that expire within the test: the cache refreshes once however many calls wait.</summary>
public sealed class TokenRefreshTests(ShortLivedTokenEmulator fixture) : IClassFixture<ShortLivedTokenEmulator>
{
    [Fact]
    public async Task CompleteChat_BurstAcrossExpiry_FetchesExactlyOneNewToken()
    {
        using var provider = SecureClients.Build(fixture.Settings());
        var chat = provider.GetRequiredService<ChatClient>();
        await chat.CompleteChatAsync([new UserChatMessage("warm up")]);
        var issuedBefore = fixture.Emulator.TokensIssued;

        // Real time must pass for a real token to expire; the emulator checks expiry with no skew.
        await Task.Delay(ShortLivedTokenEmulator.Lifetime + TimeSpan.FromMilliseconds(300));
        var burst = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => chat.CompleteChatAsync([new UserChatMessage($"call {i}")])));

        Assert.All(burst, r => Assert.Equal(ChatFinishReason.Stop, r.Value.FinishReason));
        Assert.Equal(issuedBefore + 1, fixture.Emulator.TokensIssued);
    }

    [Fact]
    public async Task CompleteChat_ManyCallsWhileTokenFresh_UsesOneToken()
    {
        using var provider = SecureClients.Build(fixture.Settings());
        var chat = provider.GetRequiredService<ChatClient>();
        var issuedBefore = fixture.Emulator.TokensIssued;

        await Task.WhenAll(Enumerable.Range(0, 16).Select(i => chat.CompleteChatAsync([new UserChatMessage($"call {i}")])));

        Assert.Equal(issuedBefore + 1, fixture.Emulator.TokensIssued);
    }

    [Fact]
    public async Task CompleteChat_TokenRejectedWith401_RefreshesOnceAndSucceeds()
    {
        // A token for another audience first (Azure's bare 401), then a good one: a rotated or fixed credential.
        var credential = new MintingCredential(call => fixture.Emulator.CreateAccessToken(
            WorkloadIdentityEmulator.WithRole.ClientId, audience: call == 1 ? "https://management.azure.com" : "https://cognitiveservices.azure.com"));
        using var provider = SecureClients.Build(fixture.Settings(), credential);
        var requestsBefore = fixture.Instance.RequestCount;

        var answer = await provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("second token works")]);

        Assert.Equal(ChatFinishReason.Stop, answer.Value.FinishReason);
        Assert.Equal(2, credential.Calls);
        Assert.Equal(requestsBefore + 2, fixture.Instance.RequestCount);
    }
}
