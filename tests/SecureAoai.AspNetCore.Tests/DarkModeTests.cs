using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using SecureAoai.Tests.Shared;
using SecureAoai.AspNetCore.Tests.Infrastructure;

namespace SecureAoai.AspNetCore.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class RunsAlone
{
    public const string Name = "Listening ports (alone)";
}

/// <summary>
/// Dark mode: any binding but the overlay's (TCP, QUIC, Unix socket, named pipe) or a server other than
/// Kestrel fails the start, and a dark app opens no port. Alone in its
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
    public async Task StartAsync_Http3OnlyListenInCode_RefusedNamingQuic()
    {
        await using var overlay = await DarkApp.StartAsync();
        using var certificate = SelfSignedCertificate();
        await using var app = overlay.BuildApp(builderHook: b => b.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen =>
        {
            listen.Protocols = HttpProtocols.Http3;
            listen.UseHttps(certificate);
        })));

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

        Assert.StartsWith("Dark mode refuses to start: a QUIC (HTTP/3) listen on UDP 127.0.0.1:0 was configured by code (ListenOptions.Protocols with HttpProtocols.Http3", refused.Message, StringComparison.Ordinal);
        // Kestrel binds the overlay endpoints before it reaches the QUIC one, then unbinds them; the
        // router learns of the unbind a moment later, so wait for it (the bound only guards a hang).
        Assert.True(await Wait.UntilAsync(() => overlay.TerminatorCount(DarkApp.Service) == 0, TimeSpan.FromSeconds(10)), "the refused app left a terminator at the router");
    }

    [Fact]
    public async Task StartAsync_NamedPipeListenInCode_RefusedNamingThePipe()
    {
        await using var overlay = await DarkApp.StartAsync();
        await using var app = overlay.BuildApp(builderHook: b => b.WebHost.ConfigureKestrel(k => k.ListenNamedPipe("secureaoai-dark-test")));

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

        Assert.StartsWith("Dark mode refuses to start: a listen on named pipe 'secureaoai-dark-test' was configured by code (KestrelServerOptions.ListenNamedPipe)", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ServerIsNotKestrel_RefusedBeforeThatServerStarts()
    {
        await using var overlay = await DarkApp.StartAsync();
        var other = new OtherServer();
        await using var app = overlay.BuildApp(builderHook: b => b.Services.AddSingleton<IServer>(other));

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => app.StartAsync());

        Assert.StartsWith($"Dark mode refuses to start: the web server is {typeof(OtherServer).FullName} (from {typeof(OtherServer).Assembly.GetName().Name}), not Kestrel.", refused.Message, StringComparison.Ordinal);
        Assert.False(other.Started);
    }

    [Fact]
    public async Task StartAsync_DarkModeOff_AllowsUrlsAndServesCodeListensOnTcpToo()
    {
        await using var overlay = await DarkApp.StartAsync();
        var port = FreePorts.BelowEphemeralRange();
        await using var app = overlay.BuildApp(
            o => { o.Transport = overlay.Server; o.DarkMode = false; },
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

    private static X509Certificate2 SelfSignedCertificate()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddHours(1));
    }

    /// <summary>A web server that is not Kestrel, as UseHttpSys, IIS in-process or a test host would register.</summary>
    private sealed class OtherServer : IServer
    {
        public bool Started { get; private set; }

        public IFeatureCollection Features { get; } = new FeatureCollection();

        public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
            where TContext : notnull
        {
            Started = true;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public void Dispose()
        {
        }
    }
}
