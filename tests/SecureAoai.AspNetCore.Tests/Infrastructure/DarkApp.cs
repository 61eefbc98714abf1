using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SecureAoai.AspNetCore;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Tests.Fabric;
using SecureAoai.Testing.Overlay;

namespace SecureAoai.AspNetCore.Tests.Infrastructure;

/// <summary>
/// An overlay with the service <c>chatapp</c>, its binder's identity, and callers: <c>alice</c>
/// (#clients, #admins), <c>bob</c> (#clients) and <c>mallory</c> (no Dial right). The overlay is the
/// embedded one on loopback unless the test asks for the in-memory one (<see cref="OverlayKind"/>).
/// <see cref="BuildApp"/> makes a dark web app serving it; the test starts it.
/// </summary>
public sealed class DarkApp : IAsyncDisposable
{
    public const string Service = "chatapp";

    private int _requests;

    private DarkApp(TestOverlay overlay) => Overlay = overlay;

    internal TestOverlay Overlay { get; }

    /// <summary>The embedded overlay's fabric (controller, router); the in-memory overlay has none.</summary>
    internal FabricFixture Fabric => Overlay.Fabric ?? throw new InvalidOperationException("This test needs the embedded overlay: the in-memory one has no controller or router.");

    /// <summary>The binder's transport, shared by the apps a test builds.</summary>
    public IOverlayTransport Server { get; private set; } = null!;

    public IOverlayTransport Alice { get; private set; } = null!;

    public IOverlayTransport Bob { get; private set; } = null!;

    public IOverlayTransport Mallory { get; private set; } = null!;

    /// <summary>How many requests reached the app's pipeline.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public string ServerIdentityFile => Fabric.Overlay.PathFor("chatapp-server.json");

    public static async Task<DarkApp> StartAsync(OverlayKind kind = OverlayKind.Embedded)
    {
        var overlay = TestOverlay.Start(kind);
        overlay.CreateService(Service, dialRole: "clients", bindRole: "servers");
        var app = new DarkApp(overlay);
        app.Server = await overlay.JoinAsync("chatapp-server", "servers");
        app.Alice = await overlay.JoinAsync("alice", "clients", "admins");
        app.Bob = await overlay.JoinAsync("bob", "clients");
        app.Mallory = await overlay.JoinAsync("mallory", "visitors");
        return app;
    }

    /// <summary>Live binders of <paramref name="service"/>: the router's terminators, on the embedded overlay.</summary>
    public int TerminatorCount(string service) => Overlay.BinderCount(service);

    /// <summary>
    /// Has the app connect to the overlay by itself, as a deployed app does: from its identity file on
    /// the embedded overlay; the in-memory overlay has no files, so there through the server's transport.
    /// </summary>
    public void ConnectOnItsOwn(OverlayHostingOptions options)
    {
        if (Overlay.Fabric is { } fabric)
        {
            options.IdentityFile = ServerIdentityFile;
            options.ContextOptions = new OverlayContextOptions { RouterAddress = fabric.RouterAddress };
        }
        else
        {
            options.Transport = Server;
        }
    }

    /// <summary>A dark app on the server's transport (shared, so the overlay disposes it), unless <paramref name="configure"/> says otherwise.</summary>
    public WebApplication BuildApp(Action<OverlayHostingOptions>? configure = null, Action<WebApplicationBuilder>? builderHook = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseOverlay(o =>
        {
            if (configure is null)
            {
                o.Transport = Server;
            }

            o.Bind(Service);
            configure?.Invoke(o);
        });
        builder.Services.AddAuthorization();
        builder.Services.AddHealthChecks().AddOverlayBinding();
        builderHook?.Invoke(builder);

        var app = builder.Build();
        app.Use((context, next) =>
        {
            Interlocked.Increment(ref _requests);
            return next(context);
        });
        app.UseOverlayIdentity();
        app.UseAuthorization();
        app.MapGet("/", (ClaimsPrincipal caller, HttpContext http) =>
            $"hello {caller.Identity!.Name} via {caller.Identity.AuthenticationType}; " +
            $"roles={string.Join(",", caller.FindAll(ClaimTypes.Role).Select(c => c.Value))}; " +
            $"overlay-roles={string.Join(",", caller.FindAll(OverlayClaims.Role).Select(c => c.Value))}; " +
            $"service={http.Features.Get<IOverlayConnectionFeature>()?.Service}; protocol={http.Request.Protocol}");
        app.MapGet("/admin", () => "admin area").RequireOverlayRole("admins");
        app.MapHealthChecks("/healthz");
        return app;
    }

    /// <summary>An HttpClient whose every connection is a dial of the request's host over <paramref name="caller"/>.</summary>
    public static HttpClient Client(IOverlayTransport caller, Version? version = null)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, cancellationToken) => await caller.DialAsync(context.DnsEndPoint.Host, cancellationToken),
        };
        return new HttpClient(handler)
        {
            BaseAddress = new Uri($"http://{Service}/"),
            DefaultRequestVersion = version ?? HttpVersion.Version11,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = TimeSpan.FromSeconds(20),
        };
    }

    public ValueTask DisposeAsync() => Overlay.DisposeAsync();
}
