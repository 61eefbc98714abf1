using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using SecureAoai.AspNetCore.Tests.Infrastructure;

namespace SecureAoai.AspNetCore.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Listening ports (alone)";
}

/// <summary>
/// Dark mode: any TCP or Unix-socket binding fails the start, and a dark app opens no port. Alone in its
/// collection, so no other test opens a listener in this process while ports are compared.
/// </summary>
[Collection(RunsAlone.Name)]
public sealed class DarkModeTests
{
    [Fact]
    public async Task StartAsync_DarkApp_OpensNoListeningPort()
    {
        await using var overlay = await DarkApp.StartAsync();
        await using var app = overlay.BuildApp();
        var before = ListeningPorts.OfThisProcess();
        Assert.Contains(overlay.Fabric.Router.LocalEndPoint.Port, before); // the probe sees this process's listeners

        await app.StartAsync();
        using var client = DarkApp.Client(overlay.Alice);
        Assert.Contains("hello alice", await client.GetStringAsync("/"), StringComparison.Ordinal);
        var after = ListeningPorts.OfThisProcess();
        await app.StopAsync();

        Assert.Empty(after.Except(before));
        Assert.All(app.Urls, url => Assert.StartsWith("http://overlay:", url, StringComparison.Ordinal));
    }

    [Fact]
    public async Task StartAsync_UseUrls_RefusedNamingTheUrlsSetting()
    {
        await using var overlay = await DarkApp.StartAsync();
        await using var app = overlay.BuildApp(builderHook: b => b.WebHost.UseUrls("http://127.0.0.1:0"));
        var before = ListeningPorts.OfThisProcess();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

        Assert.StartsWith("Dark mode refuses to start: the address(es) 'http://127.0.0.1:0' was configured by the 'urls' setting (ASPNETCORE_URLS, --urls, UseUrls", refused.Message, StringComparison.Ordinal);
        Assert.Contains("'chatapp'", refused.Message, StringComparison.Ordinal);
        Assert.Empty(ListeningPorts.OfThisProcess().Except(before));
        Assert.Equal(0, overlay.Fabric.Router.TerminatorCount(DarkApp.Service));
    }

    [Fact]
    public async Task StartAsync_UrlsConfigurationKey_AsAspNetCoreUrlsSetsIt_Refused()
    {
        await using var overlay = await DarkApp.StartAsync();
        await using var app = overlay.BuildApp(builderHook: b => b.Configuration["urls"] = "http://127.0.0.1:0");

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

        Assert.Contains("the 'urls' setting", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_HttpPortsSetting_Refused()
    {
        await using var overlay = await DarkApp.StartAsync();
        await using var app = overlay.BuildApp(builderHook: b => b.Configuration["http_ports"] = "8080");

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

        Assert.Contains("the 'http_ports' setting", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_KestrelEndpointsConfiguration_RefusedNamingTheEndpoint()
    {
        await using var overlay = await DarkApp.StartAsync();
        await using var app = overlay.BuildApp(builderHook: b => b.Configuration["Kestrel:Endpoints:Web:Url"] = "http://127.0.0.1:0");
        var before = ListeningPorts.OfThisProcess();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

        Assert.Contains("the endpoint(s) 'Web' (http://127.0.0.1:0) was configured by configuration (the Kestrel:Endpoints section)", refused.Message, StringComparison.Ordinal);
        Assert.Empty(ListeningPorts.OfThisProcess().Except(before));
    }

    [Fact]
    public async Task StartAsync_ListenInCode_RefusedBeforeAnySocketOpens()
    {
        await using var overlay = await DarkApp.StartAsync();
        await using var app = overlay.BuildApp(builderHook: b => b.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0)));
        var before = ListeningPorts.OfThisProcess();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

        Assert.StartsWith("Dark mode refuses to start: a listen on TCP 127.0.0.1:0 was configured by code (KestrelServerOptions.Listen", refused.Message, StringComparison.Ordinal);
        Assert.Empty(ListeningPorts.OfThisProcess().Except(before));
    }

    [Fact]
    public async Task StartAsync_DarkModeOff_AllowsUrlsAndServesCodeListensOnTcpToo()
    {
        await using var overlay = await DarkApp.StartAsync();
        var port = FreePort();
        await using var app = overlay.BuildApp(
            o => { o.Context = overlay.Fabric.Context(overlay.Server); o.DarkMode = false; },
            b =>
            {
                b.WebHost.UseUrls("http://127.0.0.1:0");
                b.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, port));
            });

        await app.StartAsync();
        using var overOverlay = DarkApp.Client(overlay.Alice);
        using var overTcp = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(20) };

        Assert.Contains("hello alice", await overOverlay.GetStringAsync("/"), StringComparison.Ordinal);
        using var tcpResponse = await overTcp.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Unauthorized, tcpResponse.StatusCode); // no overlay caller: the Overlay scheme challenges
        await app.StopAsync();
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
