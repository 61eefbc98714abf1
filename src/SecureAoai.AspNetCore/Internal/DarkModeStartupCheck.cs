using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace SecureAoai.AspNetCore.Internal;

/// <summary>
/// Dark mode's start-up check: before any hosted service starts (the web server included), it fails
/// the start when the server is not Kestrel, or when addresses or endpoints are configured. Kestrel would ignore the addresses in favour
/// of the overlay binding, with only a warning; a dark app treats them as the mistake they are.
/// </summary>
internal sealed class DarkModeStartupCheck(OverlayHostingOptions options, IConfiguration configuration, IServer server, IOptions<KestrelServerOptions> kestrel) : IHostedLifecycleService
{
    // The host settings GenericWebHostService turns into addresses: ASPNETCORE_URLS / --urls / UseUrls,
    // and ASPNETCORE_HTTP_PORTS / ASPNETCORE_HTTPS_PORTS.
    private static readonly string[] AddressKeys = ["urls", "http_ports", "https_ports"];

    public Task StartingAsync(CancellationToken cancellationToken)
    {
        // The overlay listens are Kestrel endpoints: any other server ignores them and opens its own.
        if (server.GetType().Assembly != typeof(KestrelServerOptions).Assembly)
        {
            throw DarkMode.RefuseServer(options, server.GetType());
        }

        foreach (var key in AddressKeys)
        {
            if (configuration[key] is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value))
            {
                throw DarkMode.Refuse(options, $"the address(es) '{value}'", $"the '{key}' setting ({Origin(key)})");
            }
        }

        if (server.Features.Get<IServerAddressesFeature>()?.Addresses is { Count: > 0 } addresses)
        {
            throw DarkMode.Refuse(options, $"the address(es) '{string.Join(";", addresses)}'", "code (app.Urls or IServerAddressesFeature.Addresses)");
        }

        if (kestrel.Value.ConfigurationLoader?.Configuration.GetSection("Endpoints").GetChildren().ToList() is { Count: > 0 } endpoints)
        {
            var named = string.Join(", ", endpoints.Select(e => $"'{e.Key}' ({e["Url"] ?? "no Url"})"));
            throw DarkMode.Refuse(options, $"the endpoint(s) {named}", "configuration (the Kestrel:Endpoints section)");
        }

        return Task.CompletedTask;
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static string Origin(string key) => key switch
    {
        "urls" => "ASPNETCORE_URLS, --urls, UseUrls or the 'urls' configuration key",
        "http_ports" => "ASPNETCORE_HTTP_PORTS or the 'http_ports' configuration key; container images set it to 8080, clear it with ASPNETCORE_HTTP_PORTS=",
        _ => "ASPNETCORE_HTTPS_PORTS or the 'https_ports' configuration key",
    };
}
