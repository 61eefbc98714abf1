using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SecureAoai.IntegrationTests.Infrastructure;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;

namespace SecureAoai.IntegrationTests.Browser;

/// <summary>
/// The quick start in a test: ChatApp and DocApp hosted dark against the emulator (workload
/// identity), an embedded overlay, and a loopback tunnel per app dialing as "browser".
/// </summary>
public sealed class DarkSamplesFixture : IAsyncLifetime
{
    private readonly WorkloadIdentityEmulator _emulator = new();
    private readonly List<IAsyncDisposable> _stopInReverse = [];
    private readonly List<IDisposable> _identities = [];
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "secureaoai-browser-" + Guid.NewGuid().ToString("N"));

    public Uri ChatUrl { get; private set; } = null!;

    public Uri DocUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _emulator.InitializeAsync();
        var overlay = await EmbeddedOverlay.StartAsync(_directory);
        _stopInReverse.Add(overlay);
        overlay.CreateService("chatapp", "webapps");
        overlay.CreateService("docapp", "webapps");
        overlay.AllowBind("apps-bind", ["#apps"], ["#webapps"]);
        overlay.AllowDial("browsers-dial", ["#browsers"], ["#webapps"]);
        var options = new OverlayContextOptions { RouterAddress = overlay.RouterAddress };
        var browser = OverlayContext.Create(await EnrollAsync(overlay, "browser", "browsers"), options);
        _stopInReverse.Add(browser);
        var chat = OverlayTunnel.Start(browser, "chatapp", new IPEndPoint(IPAddress.Loopback, 0));
        var doc = OverlayTunnel.Start(browser, "docapp", new IPEndPoint(IPAddress.Loopback, 0));
        _stopInReverse.Add(chat);
        _stopInReverse.Add(doc);
        ChatUrl = new Uri($"http://127.0.0.1:{chat.LocalEndPoint.Port}/");
        DocUrl = new Uri($"http://127.0.0.1:{doc.LocalEndPoint.Port}/");

        // As the quick start hosts them: each app answers only to its own tunnel's address.
        await StartAppAsync("chatapp", await EnrollAsync(overlay, "chatapp", "apps"), options, ChatUrl, ChatApp.ChatAppHost.ConfigureServices, app => ChatApp.ChatAppHost.MapEndpoints(app));
        await StartAppAsync("docapp", await EnrollAsync(overlay, "docapp", "apps"), options, DocUrl, DocApp.DocAppHost.ConfigureServices, app => DocApp.DocAppHost.MapEndpoints(app));
    }

    public async Task DisposeAsync()
    {
        for (var i = _stopInReverse.Count - 1; i >= 0; i--)
        {
            await _stopInReverse[i].DisposeAsync();
        }

        foreach (var identity in _identities)
        {
            identity.Dispose();
        }

        await _emulator.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    private async Task<OverlayIdentity> EnrollAsync(EmbeddedOverlay overlay, string name, string role)
    {
        var identity = await overlay.EnrollAsync(name, role);
        _identities.Add(identity);
        return identity;
    }

    private async Task StartAppAsync(
        string service, OverlayIdentity identity, OverlayContextOptions options, Uri tunnel, Func<WebApplicationBuilder, WebApplicationBuilder> configure, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ApplicationName = service, EnvironmentName = Environments.Production });
        builder.Configuration.AddInMemoryCollection(_emulator.Settings());
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        configure(builder);
        builder.WebHost.UseOverlay(o =>
        {
            o.Identity = identity;
            o.ContextOptions = options;
            o.Bind(service);
            o.AllowedHosts.Clear();
            o.AllowedHosts.Add(tunnel.Authority);
        });
        var app = builder.Build();
        app.UseOverlayIdentity();
        map(app);
        await app.StartAsync();
        _stopInReverse.Add(app);
    }
}
