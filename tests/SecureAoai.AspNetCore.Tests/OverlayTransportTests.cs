using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using SecureAoai.AspNetCore.Tests.Infrastructure;
using SecureAoai.Overlay;
using SecureAoai.Testing.Overlay;

namespace SecureAoai.AspNetCore.Tests;

/// <summary>A real Kestrel server on the overlay transport, reached by dialing the service through a router on loopback.</summary>
public sealed class EmbeddedOverlayTransportTests() : OverlayTransportTests(OverlayKind.Embedded);

/// <summary>The same tests over the in-memory overlay: the Kestrel transport stands on the <see cref="IOverlayTransport"/> seam alone.</summary>
public sealed class InMemoryOverlayTransportTests() : OverlayTransportTests(OverlayKind.InMemory);

/// <summary>A real Kestrel server on the overlay transport, reached by dialing the service; each test runs over both overlays.</summary>
public abstract class OverlayTransportTests(OverlayKind kind)
{
    [Fact]
    public async Task Get_AllowedCaller_AnswersWithCallersIdentityAndRoles()
    {
        await using var overlay = await DarkApp.StartAsync(kind);
        await using var app = overlay.BuildApp();
        await app.StartAsync();
        using var client = DarkApp.Client(overlay.Alice);

        var body = await client.GetStringAsync("/");

        Assert.Contains("hello alice via Overlay", body, StringComparison.Ordinal);
        Assert.Contains("roles=clients,admins", body, StringComparison.Ordinal);
        Assert.Contains("overlay-roles=clients,admins", body, StringComparison.Ordinal);
        Assert.Contains("service=chatapp", body, StringComparison.Ordinal);
        await app.StopAsync();
    }

    [Fact]
    public async Task Get_RawHttp11OverDialedStream_GetsResponseAndCleanEnd()
    {
        await using var overlay = await DarkApp.StartAsync(kind);
        await using var app = overlay.BuildApp();
        await app.StartAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        await using var stream = await overlay.Bob.DialAsync(DarkApp.Service, cancel.Token);
        await stream.WriteAsync("GET / HTTP/1.1\r\nHost: chatapp\r\nConnection: close\r\n\r\n"u8.ToArray(), cancel.Token);
        await stream.CompleteWritesAsync();
        using var response = new MemoryStream();
        await stream.CopyToAsync(response, cancel.Token);
        var text = Encoding.UTF8.GetString(response.ToArray());

        Assert.StartsWith("HTTP/1.1 200 OK", text, StringComparison.Ordinal);
        Assert.Contains("hello bob via Overlay", text, StringComparison.Ordinal);
        await app.StopAsync();
    }

    [Fact]
    public async Task Get_AppAbortsMidResponse_CallerSeesAResetNotACleanEnd()
    {
        await using var overlay = await DarkApp.StartAsync(kind);
        await using var app = overlay.BuildApp();
        app.MapGet("/half", async (HttpContext http) =>
        {
            // A body read to the end of the connection: only the way it ends tells whole from cut short.
            http.Response.Headers.Connection = "close";
            await http.Response.WriteAsync("the first half");
            await http.Response.Body.FlushAsync();
            http.Abort();
        });
        await app.StartAsync();
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        await using var stream = await overlay.Bob.DialAsync(DarkApp.Service, cancel.Token);
        await stream.WriteAsync("GET /half HTTP/1.0\r\nHost: chatapp\r\n\r\n"u8.ToArray(), cancel.Token);
        // A reset may overtake the bytes still in flight (as a TCP reset does); what matters is that
        // the end is not the clean one, which would make "the first half" pass for the whole answer.
        var ended = await Assert.ThrowsAsync<IOException>(() => stream.CopyToAsync(Stream.Null, cancel.Token));

        Assert.Contains("reset the stream", ended.Message, StringComparison.Ordinal);
        await app.StopAsync();
    }

    [Fact]
    public async Task Get_Http2PriorKnowledge_IsServedAsHttp2()
    {
        await using var overlay = await DarkApp.StartAsync(kind);
        await using var app = overlay.BuildApp();
        await app.StartAsync();
        using var client = DarkApp.Client(overlay.Alice, HttpVersion.Version20);

        using var response = await client.GetAsync("/");
        var body = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpVersion.Version20, response.Version);
        Assert.Contains("protocol=HTTP/2", body, StringComparison.Ordinal);
        Assert.Contains("hello alice", body, StringComparison.Ordinal);
        await app.StopAsync();
    }

    [Fact]
    public async Task Dial_IdentityWithoutDialPolicy_IsRefusedAndAppSeesNothing()
    {
        await using var overlay = await DarkApp.StartAsync(kind);
        await using var app = overlay.BuildApp();
        await app.StartAsync();

        var refused = await Assert.ThrowsAsync<OverlayDialException>(() => overlay.Mallory.DialAsync(DarkApp.Service));
        using var client = DarkApp.Client(overlay.Mallory);
        var viaHttp = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync("/"));

        Assert.Equal(OverlayDialFailure.NotAuthorized, refused.Reason);
        Assert.IsType<OverlayDialException>(viaHttp.InnerException);
        Assert.Equal(0, overlay.Requests);
        await app.StopAsync();
    }

    [Fact]
    public async Task StopAsync_UnbindsAtTheRouter_AndNewDialsFindNoTerminator()
    {
        await using var overlay = await DarkApp.StartAsync(kind);
        // The app connects by itself (from its own identity file, on the embedded overlay), as a deployed app would.
        await using var app = overlay.BuildApp(overlay.ConnectOnItsOwn);
        await app.StartAsync();
        Assert.Equal(1, overlay.TerminatorCount(DarkApp.Service));
        using (var client = DarkApp.Client(overlay.Alice))
        {
            Assert.Contains("hello alice", await client.GetStringAsync("/"), StringComparison.Ordinal);
        }

        await app.StopAsync();

        Assert.True(await Wait.UntilAsync(() => overlay.TerminatorCount(DarkApp.Service) == 0, TimeSpan.FromSeconds(10)), "the router still holds a terminator");
        var dial = await Assert.ThrowsAsync<OverlayDialException>(() => overlay.Alice.DialAsync(DarkApp.Service));
        Assert.Equal(OverlayDialFailure.NoTerminator, dial.Reason);
    }

    [Fact]
    public async Task HealthCheck_UnhealthyBeforeStart_HealthyOnceBound_AndServedOverTheOverlay()
    {
        await using var overlay = await DarkApp.StartAsync(kind);
        await using var app = overlay.BuildApp();
        var health = app.Services.GetRequiredService<HealthCheckService>();

        var before = await health.CheckHealthAsync();
        await app.StartAsync();
        var after = await health.CheckHealthAsync();
        using var client = DarkApp.Client(overlay.Bob);
        var served = await client.GetStringAsync("/healthz");

        Assert.Equal(HealthStatus.Unhealthy, before.Status);
        Assert.Equal(HealthStatus.Healthy, after.Status);
        Assert.Equal("Healthy", served);
        await app.StopAsync();
    }
}
