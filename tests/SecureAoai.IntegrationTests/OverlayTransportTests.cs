using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.Client.Networking;
using SecureAoai.IntegrationTests.Infrastructure;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Tests.Fabric;

namespace SecureAoai.IntegrationTests;

/// <summary>OpenAI traffic riding the overlay: the app dials the service "aoai" by name; a host forwards it to the resource.</summary>
public sealed class OverlayTransportTests(WorkloadIdentityEmulator fixture) : IClassFixture<WorkloadIdentityEmulator>
{
    [Fact]
    public async Task CompleteChat_EndpointInterceptedByOverlay_AnswersThroughTheRouter()
    {
        await using var fabric = FabricFixture.Start();
        fabric.Controller.Administration.CreateService("aoai", ["openai"]);
        fabric.Controller.Administration.CreateServicePolicy("apps-dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#apps"], ["#openai"]);
        fabric.Controller.Administration.CreateServicePolicy("gateway-bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#gateway"], ["#openai"]);
        var app = fabric.Context(await fabric.EnrollAsync("chat-app", "apps"));
        var gateway = fabric.Context(await fabric.EnrollAsync("aoai-gateway", "gateway"));
        await using var host = await OverlayServiceHost.StartAsync(gateway, "aoai", new IPEndPoint(IPAddress.Loopback, fixture.Instance.Port));
        var connector = new OverlayConnector(app) { Intercepts = { ["localhost"] = "aoai" } };

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(fixture.Settings()).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI")).UseConnector(new SecureOpenAIConnector(connector.Handles, connector.ConnectAsync));
        using var provider = services.BuildServiceProvider();
        var forwardedBefore = fabric.Router.ForwardedBytes;

        var answer = await provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("over the overlay")]);

        Assert.Equal(ChatFinishReason.Stop, answer.Value.FinishReason);
        Assert.True(fabric.Router.ForwardedBytes > forwardedBefore, "the request went through the router");
    }
}
