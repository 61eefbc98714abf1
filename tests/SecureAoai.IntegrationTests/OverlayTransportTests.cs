using System.Net;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.Client.Networking;
using SecureAoai.IntegrationTests.Infrastructure;
using SecureAoai.Overlay;
using SecureAoai.Testing.Overlay;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;

namespace SecureAoai.IntegrationTests;

/// <summary>OpenAI traffic riding the embedded overlay: the app dials the service "aoai" by name; a host forwards it to the resource.</summary>
public sealed class EmbeddedOverlayTransportTests(WorkloadIdentityEmulator fixture) : OverlayTransportTests(fixture, OverlayKind.Embedded);

/// <summary>The same over the in-memory overlay: the connector and the service host stand on the <see cref="IOverlayTransport"/> seam alone.</summary>
public sealed class InMemoryOverlayTransportTests(WorkloadIdentityEmulator fixture) : OverlayTransportTests(fixture, OverlayKind.InMemory);

/// <summary>OpenAI traffic riding the overlay: the app dials the service "aoai" by name; a host forwards it to the resource.</summary>
public abstract class OverlayTransportTests(WorkloadIdentityEmulator fixture, OverlayKind kind) : IClassFixture<WorkloadIdentityEmulator>
{
    [Fact]
    public async Task CompleteChat_EndpointInterceptedByOverlay_AnswersThroughTheRouter()
    {
        await using var overlay = TestOverlay.Start(kind);
        overlay.CreateService("aoai", dialRole: "apps", bindRole: "gateway");
        var app = await overlay.JoinAsync("chat-app", "apps");
        var gateway = await overlay.JoinAsync("aoai-gateway", "gateway");
        await using var host = await OverlayServiceHost.StartAsync(gateway, "aoai", new IPEndPoint(IPAddress.Loopback, fixture.Instance.Port));
        var connector = new OverlayConnector(app) { Intercepts = { ["localhost"] = "aoai" } };

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(fixture.Settings()).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI")).UseConnector(new SecureOpenAIConnector(connector.Handles, connector.ConnectAsync));
        using var provider = services.BuildServiceProvider();
        var forwardedBefore = overlay.CarriedBytes;

        var answer = await provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("over the overlay")]);

        Assert.Equal(ChatFinishReason.Stop, answer.Value.FinishReason);
        Assert.True(overlay.CarriedBytes > forwardedBefore, "the request went through the router");
    }

    [Fact]
    public async Task GetResponse_UseOverlayOnASharedTransport_AnswersThroughTheOverlayWithoutDns()
    {
        await using var overlay = TestOverlay.Start(kind);
        overlay.CreateService("aoai", dialRole: "apps", bindRole: "gateway");
        var app = await overlay.JoinAsync("chat-app", "apps");
        var gateway = await overlay.JoinAsync("aoai-gateway", "gateway");
        await using var host = await OverlayServiceHost.StartAsync(gateway, "aoai", new IPEndPoint(IPAddress.Loopback, fixture.Instance.Port));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(fixture.SettingsWithoutDns()).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI")).UseOverlay(o =>
        {
            o.Transport = app;
            o.Intercept(fixture.Instance.Endpoint, "aoai");
        });
        await using var provider = services.BuildServiceProvider();
        var carriedBefore = overlay.CarriedBytes;

        // With no DNS server to resolve the endpoint, only the overlay could have carried the request.
        var answer = await provider.GetRequiredService<IChatClient>().GetResponseAsync("over the shared transport");

        Assert.Contains("over the shared transport", answer.Text, StringComparison.Ordinal);
        Assert.True(overlay.CarriedBytes > carriedBefore, "the request went through the overlay");
        Assert.Same(app, provider.GetRequiredService<IOverlayTransport>());
    }
}
