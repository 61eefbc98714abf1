using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;

namespace SecureAoai.Emulator.Internal;

/// <summary>
/// Builds the small Kestrel applications the emulator is made of: one per listener, each bound to
/// 127.0.0.1 only, with nothing read from configuration or the environment.
/// </summary>
internal static class KestrelHost
{
    /// <summary>Creates an app listening on 127.0.0.1:<paramref name="port"/>, over TLS when a certificate is given.</summary>
    public static WebApplication Create(int port, X509Certificate2? serverCertificate, string logName, Action<string>? requestLog)
    {
        // The empty builder keeps ASPNETCORE_URLS, appsettings.json and the like from moving the
        // listener of an emulator started inside someone else's test process.
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().UseKestrelHttpsConfiguration();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, port, listen =>
            {
                if (serverCertificate is not null)
                {
                    listen.UseHttps(serverCertificate);
                }
            });
        });
        builder.Services.AddRoutingCore();
        WebApplication app = builder.Build();
        if (requestLog is not null)
        {
            app.Use(async (HttpContext context, RequestDelegate next) =>
            {
                await next(context).ConfigureAwait(false);
                // Path only: a query string or header could carry a credential, and this line may reach a console.
                requestLog($"[{logName}] {context.Request.Method} {context.Request.Path} -> {context.Response.StatusCode}");
            });
        }

        return app;
    }

    /// <summary>Starts the app and returns the port actually bound.</summary>
    public static async Task<int> StartAsync(WebApplication app, CancellationToken cancellationToken)
    {
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        ICollection<string> addresses = app.Services.GetRequiredService<IServer>().Features
            .GetRequiredFeature<IServerAddressesFeature>().Addresses;
        return new Uri(addresses.Single()).Port;
    }
}
