using Azure.AI.OpenAI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.Client.AzureOpenAI.Tests;

/// <summary>
/// Azure.AI.OpenAI's client through emulated API Management gateways: it fetches no credential of
/// its own, and each attempt carries the credential of the gateway failover chose, below that
/// gateway's own path prefix.
/// </summary>
public sealed class GatewayAzureOpenAIClientTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task CompleteChat_FirstGatewaysBackendsThrottled_SecondGatewayAnswersWithItsOwnPrefixAndCredential(bool entra)
    {
        await using var rig = await GatewayRig.StartAsync(entra);
        await using var provider = Build(rig.Endpoints(rig.East, rig.West));
        rig.Emulator["east1"].Throttle(TimeSpan.FromSeconds(30));
        rig.Emulator["east2"].Throttle(TimeSpan.FromSeconds(30));
        var chat = provider.GetRequiredService<AzureOpenAIClient>().GetChatClient(SecureClients.ChatDeployment);

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("to whichever region can")]);

        // West's gateway takes only its own audience's token, or its own key in its own header.
        Assert.Contains("Echo from west1", completion.Content[0].Text, StringComparison.Ordinal);
        Assert.Equal(1, rig.East.RequestCount);
        Assert.Equal(1, rig.West.RequestCount);
    }

    [Fact]
    public async Task CompleteChat_GatewayExpectsAnotherAudience_RefusalNamesTheEndpointsScopeSetting()
    {
        await using var rig = await GatewayRig.StartAsync(entra: true);
        var settings = rig.Endpoints(rig.East);
        settings["SecureOpenAI:Endpoints:0:Scope"] = GatewayRig.WestAudience + "/.default";
        await using var provider = Build(settings);
        var chat = provider.GetRequiredService<AzureOpenAIClient>().GetChatClient(SecureClients.ChatDeployment);

        var error = await Assert.ThrowsAsync<SecureOpenAIException>(() => chat.CompleteChatAsync([new UserChatMessage("hello")]));

        Assert.Equal(SecureOpenAIRefusal.Unauthorized, error.Reason);
        Assert.Contains("gateway 'apim-east'", error.Message, StringComparison.Ordinal);
        Assert.Contains("set SecureOpenAI:Endpoints:0:Scope to that audience", error.Message, StringComparison.Ordinal);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI")).AddAzureOpenAIClient();
        return services.BuildServiceProvider();
    }
}
