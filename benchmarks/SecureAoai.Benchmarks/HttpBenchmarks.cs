using System.Net;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SecureAoai.Overlay;

namespace SecureAoai.Benchmarks;

/// <summary>
/// One GET to the same minimal Kestrel app: over TCP on loopback (the baseline) and hosted dark with
/// UseOverlay, reached by an HttpClient whose connect callback dials the service. Connections are
/// kept alive in both, so this is the per-request cost.
/// </summary>
public class HttpBenchmarks
{
    private TransportRig _rig = null!;
    private WebApplication _tcpApp = null!;
    private WebApplication _darkApp = null!;
    private HttpClient _tcp = null!;
    private HttpClient _overlay = null!;
    private Uri _tcpUri = null!;

    // Synchronous wrappers: the in-process toolchain of --quick does not await async setup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        _rig = await TransportRig.StartAsync();
        _tcpApp = Build(builder => builder.WebHost.UseUrls("http://127.0.0.1:0"));
        await _tcpApp.StartAsync();
        _tcpUri = new Uri(_tcpApp.Urls.First());
        _darkApp = Build(builder => builder.WebHost.UseOverlay(o =>
        {
            o.Transport = _rig.Binder;
            o.Bind("web");
        }));
        await _darkApp.StartAsync();
        _tcp = new HttpClient();
        var connector = new OverlayConnector(_rig.Dialer) { Intercepts = { ["web.overlay"] = "web" } };
        _overlay = new HttpClient(new SocketsHttpHandler { ConnectCallback = connector.ConnectAsync });
        await _tcp.GetStringAsync(_tcpUri);
        await _overlay.GetStringAsync(new Uri("http://web.overlay/"));
    }

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        _tcp.Dispose();
        _overlay.Dispose();
        await _tcpApp.DisposeAsync();
        await _darkApp.DisposeAsync();
        await _rig.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "Kestrel over TCP")]
    public Task<string> Tcp() => _tcp.GetStringAsync(_tcpUri);

    [Benchmark(Description = "Kestrel over UseOverlay")]
    public Task<string> Overlay() => _overlay.GetStringAsync(new Uri("http://web.overlay/"));

    private static WebApplication Build(Action<WebApplicationBuilder> host)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.Logging.ClearProviders();
        host(builder);
        var app = builder.Build();
        app.MapGet("/", () => "ok");
        return app;
    }
}
