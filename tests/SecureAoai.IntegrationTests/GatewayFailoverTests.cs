using System.ClientModel;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.Client.Failover;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>
/// Two API Management gateways with their own prefixes and audiences stand for two regions behind
/// Front Door: a request moves between them with the prefix and the token of the one it goes to.
/// </summary>
public sealed class GatewayFailoverTests
{
    private static Task<ClientResult<ChatCompletion>> AskAsync(ServiceProvider provider, string prompt = "hello") =>
        provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage(prompt)]);

    [Theory]
    [InlineData(true, null)]
    [InlineData(true, "2024-10-21")]
    [InlineData(false, null)]
    public async Task CompleteChat_FirstGatewaysBackendsAllThrottled_SecondGatewayServesUnderItsOwnPrefix(bool entra, string? apiVersion)
    {
        await using var rig = await GatewayRig.StartAsync(entra);
        var settings = rig.Endpoints(rig.East, rig.West);
        settings["SecureOpenAI:ApiVersion"] = apiVersion;
        using var provider = GatewayRig.Build(settings);
        rig.Emulator["east1"].Throttle(TimeSpan.FromSeconds(30));
        rig.Emulator["east2"].Throttle(TimeSpan.FromSeconds(30));

        var answer = await AskAsync(provider, "to whichever region can");

        // East's gateway tried both its backends and answered 429; the request moved to west's
        // gateway, whose prefix and audience differ: a token for east's audience would have been refused.
        Assert.Contains("Echo from west1", answer.Value.Content[0].Text, StringComparison.Ordinal);
        Assert.Equal(1, rig.East.RequestCount);
        Assert.Equal(1, rig.West.RequestCount);
        Assert.Equal(1, rig.Emulator["east1"].ThrottledCount);
        Assert.Equal(1, rig.Emulator["east2"].ThrottledCount);
    }

    [Fact]
    public async Task CompleteChat_OnlyGatewaysBackendsAllThrottledForADay_FailsListingTheGatewaysCappedRetryAfter()
    {
        await using var rig = await GatewayRig.StartAsync(entra: true);
        var settings = rig.Endpoints(rig.East);
        settings["SecureOpenAI:MaxRetryAfter"] = "00:01:00";
        using var provider = GatewayRig.Build(settings);
        rig.Emulator["east1"].Throttle(TimeSpan.FromHours(24));
        rig.Emulator["east2"].Throttle(TimeSpan.FromHours(24));

        var error = await Assert.ThrowsAsync<SecureOpenAIFailoverException>(() => AskAsync(provider));
        var again = await Assert.ThrowsAsync<SecureOpenAIFailoverException>(() => AskAsync(provider));

        var attempt = Assert.Single(error.Attempts);
        Assert.Equal("apim-east", attempt.Endpoint);
        Assert.Equal(429, attempt.Status);
        Assert.Contains("asked to wait 86400 s, capped at 60 s", attempt.Reason, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromMinutes(1), attempt.Cooldown);

        // The gateway was asked once; the second request found it cooling and was not sent.
        Assert.Contains("skipped: cooling down", Assert.Single(again.Attempts).Reason, StringComparison.Ordinal);
        Assert.Equal(1, rig.East.RequestCount);
        Assert.Equal(2, rig.Emulator["east1"].RequestCount + rig.Emulator["east2"].RequestCount);
    }
}
