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
/// One GET to the same minimal Kestrel app: over TCP on loopback (the baseline); through the TLS relay
/// (TLS to the relay, TLS from it to Kestrel's HTTPS port: the relayed floor); and hosted dark with
/// UseOverlay, reached by an HttpClient whose connect callback dials the service. Connections are
/// kept alive in all three, so this is the per-request cost.
/// </summary>
public class HttpBenchmarks
{
    private TransportRig _rig = null!;
    private WebApplication _tcpApp = null!;
    private WebApplication _darkApp = null!;
    private WebApplication _tlsApp = null!;
    private TlsRelay _relay = null!;
    private HttpClient _tcp = null!;
    private HttpClient _tlsRelay = null!;
    private HttpClient _overlay = null!;
    private Uri _tcpUri = null!;

    // The connect callbacks decide where a request goes; the URI gives its Host header. Through the
    // relay that is the name on Kestrel's certificate (the TLS the relay opens is to "localhost").
    private static Uri RelayUri { get; } = new("http://localhost/");

    // Through the overlay it is the service's name, which UseOverlay's Host filter always allows
    // (OverlayHostingOptions.AllowedHosts); any other name there is refused with 400, as it should be.
    private static Uri OverlayUri { get; } = new("http://web/");

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
        _tlsApp = Build(builder => builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(_rig.ServerCertificate))));
        await _tlsApp.StartAsync();
        _relay = new TlsRelay(IPEndPoint.Parse(new Uri(_tlsApp.Urls.First()).Authority), _rig.ServerCertificate, _rig.Ca);
        _tlsRelay = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellationToken) => await TlsRelay.ConnectTlsAsync(_relay.EndPoint, _rig.Ca, cancellationToken),
        });
        _tcp = new HttpClient();
        var connector = new OverlayConnector(_rig.Dialer) { Intercepts = { ["web"] = "web" } };
        _overlay = new HttpClient(new SocketsHttpHandler { ConnectCallback = connector.ConnectAsync });
        await FirstGetAsync(_tcp, _tcpUri, "Kestrel over TCP");
        await FirstGetAsync(_overlay, OverlayUri, "Kestrel over UseOverlay");
        await FirstGetAsync(_tlsRelay, RelayUri, "Kestrel over the TLS relay");
    }

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        _tcp.Dispose();
        _overlay.Dispose();
        _tlsRelay.Dispose();
        await _relay.DisposeAsync();
        await _tlsApp.DisposeAsync();
        await _tcpApp.DisposeAsync();
        await _darkApp.DisposeAsync();
        await _rig.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "Kestrel over TCP")]
    public Task<string> Tcp() => _tcp.GetStringAsync(_tcpUri);

    [Benchmark(Description = "Kestrel over the TLS relay")]
    public Task<string> ViaTlsRelay() => _tlsRelay.GetStringAsync(RelayUri);

    [Benchmark(Description = "Kestrel over UseOverlay")]
    public Task<string> Overlay() => _overlay.GetStringAsync(OverlayUri);

    /// <summary>Opens the path's kept-alive connection; a refusal names the path and carries the app's answer, so a broken setup says why.</summary>
    private static async Task FirstGetAsync(HttpClient client, Uri uri, string path)
    {
        using var response = await client.GetAsync(uri);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{path}: GET {uri} answered {(int)response.StatusCode} {response.ReasonPhrase}: {body}");
        }
    }

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
