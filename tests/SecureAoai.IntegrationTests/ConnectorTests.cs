using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.Client.Networking;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>UseConnector: the endpoints a connector handles are reached through it, with no DNS and no network policy.</summary>
public sealed class ConnectorTests(WorkloadIdentityEmulator fixture) : IClassFixture<WorkloadIdentityEmulator>
{
    [Fact]
    public async Task CompleteChat_ConnectorHandlesEndpoint_TrafficGoesThroughIt()
    {
        var connects = 0;
        var port = fixture.Instance.Port;
        var connector = new SecureOpenAIConnector(
            (host, p) => host == "localhost" && p == port,
            async (host, p, cancellationToken) =>
            {
                Interlocked.Increment(ref connects);
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, p), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            });
        var settings = fixture.Settings();

        // A DNS server that does not exist: only the connector can have reached the endpoint.
        settings["SecureOpenAI:Network:DnsServers:0"] = "127.0.0.1:9";
        settings["SecureOpenAI:Network:DnsTimeout"] = "00:00:00.200";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI")).UseConnector(connector);
        using var provider = services.BuildServiceProvider();

        var answer = await provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("through the connector")]);

        Assert.Equal(ChatFinishReason.Stop, answer.Value.FinishReason);
        Assert.Equal(1, connects);
    }
}
