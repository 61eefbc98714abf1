using Azure.AI.OpenAI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.Client.Failover;
using SecureAoai.Emulator;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.Client.AzureOpenAI.Tests;

/// <summary>
/// Azure.AI.OpenAI's client across three emulated regions: SecureOpenAI's failover moves its
/// requests (classic URL, api-version and all) with each region's deployment name.
/// </summary>
public sealed class AzureOpenAIFailoverTests
{
    private const string WestDeployment = "gpt-4o-mini-west";

    [Fact]
    public async Task CompleteChat_FirstRegionThrottled_AnsweredByNextRegionUnderItsDeploymentName()
    {
        await using var rig = await FailoverRig.StartAsync(instance => instance.Deployments[WestDeployment] = new EmulatorDeployment { Model = "gpt-4o-mini-west-model" });
        rig.East.Throttle(TimeSpan.FromSeconds(30));
        var prefix = $"aoai{Guid.NewGuid():N}"[..12] + "-";
        using var metrics = new MeterRecorder(prefix);
        var settings = rig.Settings(prefix);
        settings["SecureOpenAI:Endpoints:1:Deployments:chat"] = WestDeployment;
        await using var provider = Build(settings);
        var chat = provider.GetRequiredService<AzureOpenAIClient>().GetChatClient(SecureClients.ChatDeployment);

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("fail over")]);

        Assert.Equal("gpt-4o-mini-west-model", completion.Model);
        Assert.Equal(1, rig.East.ThrottledCount);
        Assert.Equal(1, rig.West.RequestCount);
        Assert.Equal(1, metrics.Sum("secureaoai.failovers", ("from", prefix + "east"), ("to", prefix + "west")));
        Assert.Equal(completion.Usage.InputTokenCount, metrics.Sum("secureaoai.tokens", ("endpoint", prefix + "west"), ("kind", "prompt")));
    }

    [Fact]
    public async Task CompleteChat_EveryRegionFails_OneAttemptPerRegionListedInOneError()
    {
        await using var rig = await FailoverRig.StartAsync();
        foreach (var instance in rig.Emulator.Instances)
        {
            instance.InjectErrors(1.0, 503);
        }

        var prefix = $"aoai{Guid.NewGuid():N}"[..12] + "-";
        var settings = rig.Settings(prefix);
        settings["SecureOpenAI:MaxRetries"] = "2";
        await using var provider = Build(settings);
        var chat = provider.GetRequiredService<AzureOpenAIClient>().GetChatClient(SecureClients.ChatDeployment);

        var error = await Assert.ThrowsAsync<SecureOpenAIFailoverException>(() => chat.CompleteChatAsync([new UserChatMessage("all down")]));

        // One attempt per region (MaxRetries 2 = 3 attempts), each sent once.
        Assert.Equal([prefix + "east", prefix + "west", prefix + "north"], error.Attempts.Select(a => a.Endpoint));
        Assert.Equal(3, rig.TotalRequests);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI")).AddAzureOpenAIClient();
        return services.BuildServiceProvider();
    }
}
