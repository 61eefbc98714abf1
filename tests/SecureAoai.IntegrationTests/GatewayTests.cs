using System.ClientModel;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using OpenAI.Embeddings;
using SecureAoai.Client;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>Both emulated regions behind API Management, once with Entra ID for the gateways' audiences, once with subscription keys.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public GatewayRig Entra { get; private set; } = null!;

    public GatewayRig Keys { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Entra = await GatewayRig.StartAsync(entra: true);
        Keys = await GatewayRig.StartAsync(entra: false);
    }

    public async Task DisposeAsync()
    {
        await Entra.DisposeAsync();
        await Keys.DisposeAsync();
    }
}

/// <summary>
/// The real OpenAI client through an API Management gateway: chat and streaming on both URL styles
/// with Entra ID or a subscription key, and each refusal a gateway gives explained with its setting.
/// </summary>
public sealed class GatewayTests(GatewayFixture fixture) : IClassFixture<GatewayFixture>
{
    private static Task<ClientResult<ChatCompletion>> AskAsync(ServiceProvider provider, string prompt = "hello gateway") =>
        provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage(prompt)]);

    private static async Task<string> StreamAsync(ServiceProvider provider, string prompt)
    {
        var text = new System.Text.StringBuilder();
        await foreach (var update in provider.GetRequiredService<ChatClient>().CompleteChatStreamingAsync([new UserChatMessage(prompt)]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }
        }

        return text.ToString();
    }

    private GatewayRig Rig(bool entra) => entra ? fixture.Entra : fixture.Keys;

    [Theory]
    [InlineData(true, null)]
    [InlineData(true, "2024-10-21")]
    [InlineData(false, null)]
    [InlineData(false, "2024-10-21")]
    public async Task CompleteChat_ThroughOneGateway_AnswersOnBothUrlStyles(bool entra, string? apiVersion)
    {
        var rig = Rig(entra);
        var settings = rig.SingleGateway(rig.East);
        settings["SecureOpenAI:ApiVersion"] = apiVersion;
        using var provider = GatewayRig.Build(settings);
        var before = rig.East.RequestCount;

        var answer = await AskAsync(provider, "through the east gateway");

        Assert.Equal(ChatFinishReason.Stop, answer.Value.FinishReason);
        Assert.Contains("Echo from east", answer.Value.Content[0].Text, StringComparison.Ordinal);
        Assert.Equal(before + 1, rig.East.RequestCount);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CompleteChatStreaming_ThroughOneGateway_StreamsToTheEnd(bool entra)
    {
        var rig = Rig(entra);
        using var provider = GatewayRig.Build(rig.SingleGateway(rig.West));

        var text = await StreamAsync(provider, "a streamed answer through the west gateway");

        Assert.Contains("through the west gateway", text, StringComparison.Ordinal);
        Assert.StartsWith("Echo from west1", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GenerateEmbedding_ThroughGatewayWithApiKeyHeader_Answers()
    {
        // West reads its key from api-key, the header API Management sets for an API imported from Azure OpenAI.
        var rig = fixture.Keys;
        using var provider = GatewayRig.Build(rig.SingleGateway(rig.West));

        var embedding = await provider.GetRequiredService<EmbeddingClient>().GenerateEmbeddingAsync("one two three");

        Assert.NotEmpty(embedding.Value.ToFloats().ToArray());
    }

    [Fact]
    public async Task CompleteChat_GatewayExpectsAnotherAudience_RefusalNamesTheGatewayAndTheEndpointsScopeSetting()
    {
        var rig = fixture.Entra;
        var settings = rig.Endpoints(rig.East);
        settings["SecureOpenAI:Endpoints:0:Scope"] = "https://cognitiveservices.azure.com/.default";
        using var provider = GatewayRig.Build(settings);
        var before = rig.East.RequestCount;

        var error = await Assert.ThrowsAsync<SecureOpenAIException>(() => AskAsync(provider));

        Assert.Equal(SecureOpenAIRefusal.Unauthorized, error.Reason);
        Assert.Equal(rig.East.Endpoint, error.Endpoint);
        Assert.Contains($"gateway 'apim-east' ({rig.East.Endpoint})", error.Message, StringComparison.Ordinal);
        Assert.Contains("Unauthorized. Access token is missing or invalid.", error.Message, StringComparison.Ordinal);
        Assert.Contains("audience 'https://cognitiveservices.azure.com'", error.Message, StringComparison.Ordinal);
        Assert.Contains("set SecureOpenAI:Endpoints:0:Scope to that audience", error.Message, StringComparison.Ordinal);
        // The SDK asked for a new token once; Azure.Identity's cache handed back the same one, which was not sent again.
        Assert.Equal(before + 1, rig.East.RequestCount);
    }

    [Fact]
    public async Task CompleteChat_GatewayRequiresAKeyAndGetsAToken_RefusalQuotesTheGatewayAndNamesTheKeySetting()
    {
        var rig = fixture.Keys;
        var settings = rig.Endpoints(rig.East);
        settings.Remove("SecureOpenAI:Endpoints:0:SubscriptionKey");
        settings.Remove("SecureOpenAI:Endpoints:0:SubscriptionKeyHeader");
        using var provider = GatewayRig.Build(settings);

        var error = await Assert.ThrowsAsync<SecureOpenAIException>(() => AskAsync(provider));

        Assert.Equal(SecureOpenAIRefusal.Unauthorized, error.Reason);
        Assert.Contains("Access denied due to missing subscription key", error.Message, StringComparison.Ordinal);
        Assert.Contains("gateway 'apim-east'", error.Message, StringComparison.Ordinal);
        Assert.Contains("set the endpoint's SubscriptionKey", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteChat_WrongSubscriptionKey_RefusalNamesTheKeySettingAndHeaderButNotTheKey()
    {
        var rig = fixture.Keys;
        var settings = rig.Endpoints(rig.West);
        settings["SecureOpenAI:Endpoints:0:SubscriptionKey"] = "wrong-key-0c7d";
        using var provider = GatewayRig.Build(settings);
        var before = rig.West.RequestCount;

        var error = await Assert.ThrowsAsync<SecureOpenAIException>(() => AskAsync(provider));

        Assert.Equal(SecureOpenAIRefusal.Unauthorized, error.Reason);
        Assert.Contains("Access denied due to invalid subscription key", error.Message, StringComparison.Ordinal);
        Assert.Contains("check SecureOpenAI:Endpoints:0:SubscriptionKey", error.Message, StringComparison.Ordinal);
        Assert.Contains("'api-key' header", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong-key-0c7d", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(rig.West.SubscriptionKey, error.Message, StringComparison.Ordinal);
        Assert.Equal(before + 1, rig.West.RequestCount); // a key is not "refreshed"
    }

    [Fact]
    public async Task CompleteChat_KeyForOneGatewayInTheOthersHeader_Refused()
    {
        // East reads Ocp-Apim-Subscription-Key; sending its key in api-key is a missing key to it.
        var rig = fixture.Keys;
        var settings = rig.SingleGateway(rig.East);
        settings["SecureOpenAI:SubscriptionKeyHeader"] = "api-key";
        using var provider = GatewayRig.Build(settings);

        var error = await Assert.ThrowsAsync<SecureOpenAIException>(() => AskAsync(provider));

        Assert.Contains("Access denied due to missing subscription key", error.Message, StringComparison.Ordinal);
        Assert.Contains("'api-key' header", error.Message, StringComparison.Ordinal);
        Assert.Contains("SecureOpenAI:SubscriptionKey", error.Message, StringComparison.Ordinal);
    }
}
