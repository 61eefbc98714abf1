using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using SecureAoai.AspNetCore.Tests.Infrastructure;
using SecureAoai.Testing.Overlay;

namespace SecureAoai.AspNetCore.Tests;

/// <summary>
/// What a web page could send through a browser tunnel (loopback, dialing as the user): a request with
/// its own host name after DNS rebinding, and a cross-site post. Both are refused before the app runs;
/// what the tunnel's own page and clients that are not browsers send still gets through. Each test runs
/// over both overlays: the refusals are the app's, whatever carries the stream.
/// </summary>
public abstract class BrowserTunnelHostileTests(OverlayKind kind)
{
    [Theory]
    [InlineData("rebound.attacker.example")]
    [InlineData("rebound.attacker.example:8080")]
    [InlineData("127.0.0.1.attacker.example")]
    public async Task Get_ForeignHost_Refused400BeforeTheApp(string host)
    {
        await using var overlay = await DarkApp.StartAsync(kind);
        await using var app = overlay.BuildApp();
        await app.StartAsync();
        using var client = DarkApp.Client(overlay.Alice);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/") { Headers = { Host = host } };

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("The Host header does not name this app.", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, overlay.Requests);
        await app.StopAsync();
    }

    [Theory]
    [InlineData("127.0.0.1:8080")]
    [InlineData("localhost:5173")]
    [InlineData("[::1]:8080")]
    [InlineData("chatapp")]
    public async Task Get_TunnelAddressOrServiceName_Served(string host)
    {
        await using var overlay = await DarkApp.StartAsync(kind);
        await using var app = overlay.BuildApp();
        await app.StartAsync();
        using var client = DarkApp.Client(overlay.Alice);

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, HttpMethod.Get, "/", ("Host", host)));
        await app.StopAsync();
    }

    [Fact]
    public async Task Get_AllowedHostsNarrowedToTheTunnelsAddress_OtherPortRefused()
    {
        await using var overlay = await DarkApp.StartAsync(kind);
        await using var app = overlay.BuildApp(o =>
        {
            o.Transport = overlay.Server;
            o.AllowedHosts.Clear();
            o.AllowedHosts.Add("127.0.0.1:8080");
        });
        await app.StartAsync();
        using var client = DarkApp.Client(overlay.Alice);

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, HttpMethod.Get, "/", ("Host", "127.0.0.1:8080")));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(client, HttpMethod.Get, "/", ("Host", "127.0.0.1:8081")));
        Assert.Equal(HttpStatusCode.BadRequest, await StatusAsync(client, HttpMethod.Get, "/", ("Host", "localhost:8080")));
        await app.StopAsync();
    }

    [Theory]
    [InlineData("Origin", "http://attacker.example")]
    [InlineData("Origin", "http://127.0.0.1:9999")] // another port on loopback: another origin
    [InlineData("Origin", "null")]                  // a sandboxed frame or a file:// page
    [InlineData("Sec-Fetch-Site", "cross-site")]
    [InlineData("Sec-Fetch-Site", "same-site")]
    public async Task Post_FromAnotherSite_Refused403BeforeTheApp(string header, string value)
    {
        await using var overlay = await DarkApp.StartAsync(kind);
        await using var app = overlay.BuildApp();
        app.MapPost("/upload", () => "stored");
        await app.StartAsync();
        using var client = DarkApp.Client(overlay.Alice);

        var status = await StatusAsync(client, HttpMethod.Post, "/upload", ("Host", "127.0.0.1:8080"), (header, value));

        Assert.Equal(HttpStatusCode.Forbidden, status);
        Assert.Equal(0, overlay.Requests);
        await app.StopAsync();
    }

    [Fact]
    public async Task Post_SameOriginOrNotFromABrowser_Served_AndCrossSiteGetStillNavigates()
    {
        await using var overlay = await DarkApp.StartAsync(kind);
        await using var app = overlay.BuildApp();
        app.MapPost("/upload", () => "stored");
        await app.StartAsync();
        using var client = DarkApp.Client(overlay.Alice);
        var host = ("Host", "127.0.0.1:8080");

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, HttpMethod.Post, "/upload", host, ("Origin", "http://127.0.0.1:8080"), ("Sec-Fetch-Site", "same-origin")));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, HttpMethod.Post, "/upload", host));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, HttpMethod.Get, "/", host, ("Sec-Fetch-Site", "cross-site")));
        await app.StopAsync();
    }

    [Fact]
    public async Task Post_CrossSiteAllowedByOption_Served()
    {
        await using var overlay = await DarkApp.StartAsync(kind);
        await using var app = overlay.BuildApp(o => { o.Transport = overlay.Server; o.RefuseCrossSiteRequests = false; });
        app.MapPost("/upload", () => "stored");
        await app.StartAsync();
        using var client = DarkApp.Client(overlay.Alice);

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(client, HttpMethod.Post, "/upload", ("Origin", "http://attacker.example")));
        await app.StopAsync();
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("127.0.0.1:8080/")]
    [InlineData("*.example.com")]
    [InlineData("localhost:port")]
    [InlineData(" ")]
    public void UseOverlay_AllowedHostNotAHost_FailsNamingIt(string entry)
    {
        var builder = WebApplication.CreateBuilder();

        var refused = Assert.Throws<InvalidOperationException>(() => builder.WebHost.UseOverlay(o =>
        {
            o.IdentityFile = "chatapp.json";
            o.Bind("chatapp");
            o.AllowedHosts.Add(entry);
        }));

        Assert.StartsWith($"OverlayHostingOptions.AllowedHosts has '{entry}'", refused.Message, StringComparison.Ordinal);
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, HttpMethod method, string path, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, path);
        if (method == HttpMethod.Post)
        {
            request.Content = new StringContent("a document");
        }

        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}

/// <summary>The browser-tunnel refusals over the embedded overlay.</summary>
public sealed class EmbeddedBrowserTunnelHostileTests() : BrowserTunnelHostileTests(OverlayKind.Embedded);

/// <summary>The browser-tunnel refusals over the in-memory overlay.</summary>
public sealed class InMemoryBrowserTunnelHostileTests() : BrowserTunnelHostileTests(OverlayKind.InMemory);
