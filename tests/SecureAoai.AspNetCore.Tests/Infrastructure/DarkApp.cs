using System.Net;
using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SecureAoai.AspNetCore;
using SecureAoai.Overlay;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Tests.Fabric;

namespace SecureAoai.AspNetCore.Tests.Infrastructure;

/// <summary>
/// An overlay on loopback with the service <c>chatapp</c>, its binder's identity, and callers:
/// <c>alice</c> (#clients, #admins), <c>bob</c> (#clients) and <c>mallory</c> (no Dial policy).
/// <see cref="BuildApp"/> makes a dark web app serving it; the test starts it.
/// </summary>
public sealed class DarkApp : IAsyncDisposable
{
    public const string Service = "chatapp";

    private int _requests;

    private DarkApp(FabricFixture fabric) => Fabric = fabric;

    internal FabricFixture Fabric { get; }

    public OverlayIdentity Server { get; private set; } = null!;

    public OverlayContext Alice { get; private set; } = null!;

    public OverlayContext Bob { get; private set; } = null!;

    public OverlayContext Mallory { get; private set; } = null!;

    /// <summary>How many requests reached the app's pipeline.</summary>
    public int Requests => Volatile.Read(ref _requests);

    public string ServerIdentityFile => Fabric.Overlay.PathFor("chatapp-server.json");

    public static async Task<DarkApp> StartAsync()
    {
        var fabric = FabricFixture.Start();
        fabric.Controller.Administration.CreateService(Service, ["chat"]);
        fabric.Controller.Administration.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#chat"]);
        fabric.Controller.Administration.CreateServicePolicy("bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#servers"], ["#chat"]);
        var app = new DarkApp(fabric);
        app.Server = await fabric.EnrollAsync("chatapp-server", "servers");
        app.Alice = fabric.Context(await fabric.EnrollAsync("alice", "clients", "admins"));
        app.Bob = fabric.Context(await fabric.EnrollAsync("bob", "clients"));
        app.Mallory = fabric.Context(await fabric.EnrollAsync("mallory", "visitors"));
        return app;
    }

    /// <summary>A dark app on the server's own context (shared, so the fabric disposes it), unless <paramref name="configure"/> says otherwise.</summary>
    public WebApplication BuildApp(Action<OverlayHostingOptions>? configure = null, Action<WebApplicationBuilder>? builderHook = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], EnvironmentName = "Production" });
        builder.Logging.ClearProviders();
        builder.WebHost.UseOverlay(o =>
        {
            if (configure is null)
            {
                o.Context = Fabric.Context(Server);
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
    public static HttpClient Client(OverlayContext caller, Version? version = null)
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

    public ValueTask DisposeAsync() => Fabric.DisposeAsync();
}
