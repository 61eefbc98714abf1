using System.Net;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using SecureAoai.Client;
using SecureAoai.IntegrationTests.Infrastructure;
using SecureAoai.Overlay;

namespace SecureAoai.IntegrationTests;

/// <summary>
/// <c>UseOverlay</c> (SecureAoai.Client.Overlay): the app's OpenAI traffic dials the overlay service
/// "aoai" as the app's enrolled identity, where a gateway identity forwards it to the emulator; the
/// service provider owns the overlay context it made.
/// </summary>
public sealed class OverlayClientTests(WorkloadIdentityEmulator fixture) : IClassFixture<WorkloadIdentityEmulator>, IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "secureaoai-overlay-client-" + Guid.NewGuid().ToString("N")[..8]);
    private EmbeddedOverlay _overlay = null!;
    private OverlayContext _gateway = null!;
    private OverlayServiceHost _host = null!;

    private string AppIdentityFile => Path.Combine(_directory, "chat-app.json");

    public async Task InitializeAsync()
    {
        _overlay = await EmbeddedOverlay.StartAsync(_directory);
        _overlay.CreateService("aoai", "openai");
        _overlay.AllowDial("apps-dial", ["#apps"], ["#openai"]);
        _overlay.AllowBind("gateway-bind", ["#gateway"], ["#openai"]);
        (await _overlay.EnrollAsync("chat-app", "apps")).Dispose();
        _gateway = OverlayContext.FromIdentityFile(await EnrollFileAsync("aoai-gateway", "gateway"));
        _host = await OverlayServiceHost.StartAsync(_gateway, "aoai", new IPEndPoint(IPAddress.Loopback, fixture.Instance.Port));
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _gateway.DisposeAsync();
        await _overlay.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task GetResponse_EndpointInterceptedByUseOverlay_AnswersThroughTheOverlayWithoutDns()
    {
        await using var provider = Build(o => o.Intercept(fixture.Instance.Endpoint, "aoai"));
        var requestsBefore = fixture.Instance.RequestCount;

        var answer = await provider.GetRequiredService<IChatClient>().GetResponseAsync("over the overlay");

        // With no DNS server to resolve the endpoint, only the overlay could have carried the request.
        Assert.Contains("over the overlay", answer.Text, StringComparison.Ordinal);
        Assert.Equal(requestsBefore + 1, fixture.Instance.RequestCount);
        var context = provider.GetRequiredService<OverlayContext>();
        Assert.Equal("chat-app", context.IdentityName);
        Assert.True(context.IsConnected);
    }

    [Fact]
    public async Task DisposeAsync_Provider_DisposesTheContextItMade()
    {
        var provider = Build(o => o.Intercept(fixture.Instance.Endpoint, "aoai"));
        await provider.GetRequiredService<IChatClient>().GetResponseAsync("once");
        var context = provider.GetRequiredService<OverlayContext>();
        Assert.True(context.IsConnected);

        await provider.DisposeAsync();

        Assert.False(context.IsConnected);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => context.DialAsync("aoai"));
    }

    [Fact]
    public async Task DisposeAsync_Provider_LeavesASharedContextOpen()
    {
        await using var shared = OverlayContext.FromIdentityFile(AppIdentityFile);
        var provider = Build(o =>
        {
            o.IdentityFile = null;
            o.Transport = shared;
            o.Intercept(fixture.Instance.Endpoint, "aoai");
        });
        await provider.GetRequiredService<IChatClient>().GetResponseAsync("shared");

        await provider.DisposeAsync();

        await using var stream = await shared.DialAsync("aoai");
        Assert.Equal("aoai", stream.Service);
    }

    [Fact]
    public async Task Start_InterceptMatchesNoEndpoint_FailsNamingIt()
    {
        await using var provider = Build(o => o.Intercept("aoai-typo.openai.azure.com", "aoai"));

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<SecureOpenAIOptions>>().Value);

        Assert.Contains("aoai-typo.openai.azure.com", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseOverlay_NoIdentity_ThrowsAtOnce()
    {
        var services = new ServiceCollection();
        var builder = services.AddSecureOpenAI(new ConfigurationBuilder().Build());

        var error = Assert.Throws<InvalidOperationException>(() => builder.UseOverlay(o => o.Intercept("localhost", "aoai")));

        Assert.Contains("IdentityFile, Identity or Transport", error.Message, StringComparison.Ordinal);
    }

    /// <summary>The app: workload identity to the emulator, a DNS server that does not exist (only the overlay can reach it), UseOverlay as "chat-app".</summary>
    private ServiceProvider Build(Action<Client.Overlay.SecureOpenAIOverlayOptions> intercept)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(fixture.SettingsWithoutDns()).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI")).UseOverlay(o =>
        {
            o.IdentityFile = AppIdentityFile;
            intercept(o);
        });
        return services.BuildServiceProvider();
    }

    private async Task<string> EnrollFileAsync(string name, string role)
    {
        (await _overlay.EnrollAsync(name, role)).Dispose();
        return Path.Combine(_directory, name + ".json");
    }
}
