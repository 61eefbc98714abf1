using System.Net;
using System.Net.Sockets;
using Azure.AI.OpenAI;
using Azure.AI.OpenAI.Chat;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.Client;
using SecureAoai.Client.Networking;
using SecureAoai.Emulator;
using SecureAoai.IntegrationTests.Infrastructure;

// Azure.AI.OpenAI marks its content filter accessors as evaluation API (AOAI001); apps that read them suppress it too.
#pragma warning disable AOAI001

namespace SecureAoai.Client.AzureOpenAI.Tests;

/// <summary>
/// <c>AddAzureOpenAIClient</c>: Azure.AI.OpenAI's client, as existing code uses it, against the
/// emulator with workload identity: its Azure-only accessors work, and its requests take
/// SecureOpenAI's path (token cache, network guard, connector, failover, refusals, one retry layer).
/// </summary>
public sealed class AzureOpenAIClientTests(WorkloadIdentityEmulator fixture) : IClassFixture<WorkloadIdentityEmulator>
{
    [Fact]
    public async Task CompleteChat_Buffered_ContentFilterResultsReadable()
    {
        await using var provider = Build(fixture.Settings());
        var chat = provider.GetRequiredService<AzureOpenAIClient>().GetChatClient(SecureClients.ChatDeployment);

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("filtered or not")]);

        Assert.Contains("filtered or not", completion.Content[0].Text, StringComparison.Ordinal);
        RequestContentFilterResult prompt = completion.GetRequestContentFilterResult();
        Assert.False(prompt.Hate.Filtered);
        Assert.Equal(ContentFilterSeverity.Safe, prompt.Hate.Severity);
        Assert.False(prompt.Jailbreak.Detected);
        ResponseContentFilterResult response = completion.GetResponseContentFilterResult();
        Assert.False(response.Violence.Filtered);
        Assert.False(response.ProtectedMaterialText.Detected);
    }

    [Fact]
    public async Task CompleteChat_OutputFilterStopsAnswer_FinishReasonAndFilteredCategory()
    {
        await using var provider = Build(fixture.Settings());
        var chat = provider.GetRequiredService<AzureOpenAIClient>().GetChatClient(SecureClients.ChatDeployment);

        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage("say " + EmulatorDeployment.DefaultOutputFilterTrigger)]);

        Assert.Equal(ChatFinishReason.ContentFilter, completion.FinishReason);
        ResponseContentFilterResult response = completion.GetResponseContentFilterResult();
        Assert.True(response.Violence.Filtered);
        Assert.Equal(ContentFilterSeverity.Medium, response.Violence.Severity);
    }

    [Fact]
    public async Task CompleteChatStreaming_PromptResultsFirstThenResultsPerContentChunk()
    {
        await using var provider = Build(fixture.Settings());
        var chat = provider.GetRequiredService<AzureOpenAIClient>().GetChatClient(SecureClients.ChatDeployment);

        var promptResults = 0;
        var contentChunks = 0;
        var contentChunksWithResults = 0;
        var text = new System.Text.StringBuilder();
        await foreach (StreamingChatCompletionUpdate update in chat.CompleteChatStreamingAsync([new UserChatMessage("stream with annotations")]))
        {
            if (update.GetRequestContentFilterResult() is { } prompt)
            {
                promptResults++;
                Assert.False(prompt.Jailbreak.Filtered);
            }

            if (update.ContentUpdate.Count > 0 && update.ContentUpdate[0].Text.Length > 0)
            {
                contentChunks++;
                text.Append(update.ContentUpdate[0].Text);
                if (update.GetResponseContentFilterResult() is { } response)
                {
                    contentChunksWithResults++;
                    Assert.Equal(ContentFilterSeverity.Safe, response.SelfHarm.Severity);
                }
            }
        }

        Assert.Contains("stream with annotations", text.ToString(), StringComparison.Ordinal);
        Assert.Equal(1, promptResults);
        Assert.True(contentChunks > 1, "the answer came in several chunks");
        Assert.Equal(contentChunks, contentChunksWithResults);
    }

    [Fact]
    public async Task CompleteChat_AlongsideOpenAIClients_OneTokenForBoth()
    {
        var issued = fixture.Emulator.TokensIssued;
        await using var provider = Build(fixture.Settings());

        await provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("openai client")]);
        await provider.GetRequiredService<AzureOpenAIClient>().GetChatClient(SecureClients.ChatDeployment).CompleteChatAsync([new UserChatMessage("azure client")]);

        Assert.Equal(issued + 1, fixture.Emulator.TokensIssued);
    }

    [Fact]
    public async Task CompleteChat_PrincipalWithoutRole_RefusalExplainedAsSecureOpenAIException()
    {
        var settings = fixture.Settings();
        settings["SecureOpenAI:Credential:ClientId"] = fixture.FederationWithoutRole.ClientId;
        settings["SecureOpenAI:Credential:FederatedTokenFile"] = fixture.TokenFileWithoutRole;
        await using var provider = Build(settings);
        var chat = provider.GetRequiredService<AzureOpenAIClient>().GetChatClient(SecureClients.ChatDeployment);

        var error = await Assert.ThrowsAsync<SecureOpenAIException>(() => chat.CompleteChatAsync([new UserChatMessage("no role")]));

        Assert.Equal(SecureOpenAIRefusal.PermissionDenied, error.Reason);
        Assert.Contains("Cognitive Services OpenAI User", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CompleteChat_DnsServerSilent_RefusedByTheNetworkGuardBeforeSending()
    {
        using var silent = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var settings = fixture.Settings();
        settings["SecureOpenAI:Network:DnsServers:0"] = silent.Client.LocalEndPoint!.ToString();
        settings["SecureOpenAI:Network:DnsTimeout"] = "00:00:00.300";
        await using var provider = Build(settings);
        var requests = fixture.Instance.RequestCount;
        var chat = provider.GetRequiredService<AzureOpenAIClient>().GetChatClient(SecureClients.ChatDeployment);

        var error = await Assert.ThrowsAsync<EndpointNetworkException>(() => chat.CompleteChatAsync([new UserChatMessage("no resolver")]));

        Assert.Equal(EndpointNetworkFailure.DnsTimeout, error.Reason);
        Assert.Equal(requests, fixture.Instance.RequestCount);
    }

    [Fact]
    public async Task CompleteChat_ConnectorHandlesEndpoint_AzureClientTrafficGoesThroughIt()
    {
        var connects = 0;
        var connector = new SecureOpenAIConnector(
            (host, port) => host == "localhost" && port == fixture.Instance.Port,
            async (_, port, cancellationToken) =>
            {
                Interlocked.Increment(ref connects);
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            });
        await using var provider = Build(fixture.Settings(), b => b.UseConnector(connector));

        ChatCompletion completion = await provider.GetRequiredService<AzureOpenAIClient>().GetChatClient(SecureClients.ChatDeployment)
            .CompleteChatAsync([new UserChatMessage("through the connector")]);

        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(1, connects);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings, Action<SecureOpenAIBuilder>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        var builder = services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI")).AddAzureOpenAIClient();
        configure?.Invoke(builder);
        return services.BuildServiceProvider();
    }
}
