using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using SecureAoai.AspNetCore;
using SecureAoai.AspNetCore.Internal;

namespace Microsoft.AspNetCore.Hosting;

/// <summary>Hosts an ASP.NET Core app on overlay bindings.</summary>
public static class OverlayWebHostBuilderExtensions
{
    /// <summary>
    /// Serves the app on overlay services instead of (in dark mode) any TCP port: Kestrel listens on an
    /// <see cref="OverlayEndPoint"/> per bound service, and each dial by an identity the overlay's Dial
    /// policy allows becomes a connection. The <c>Overlay</c> authentication scheme is registered too,
    /// for <c>RequireOverlayRole</c>.
    /// </summary>
    /// <param name="builder">The web host, typically <c>WebApplicationBuilder.WebHost</c> (Kestrel already configured).</param>
    /// <param name="configure">Sets the identity, the services to bind and the other options; validated at once.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="InvalidOperationException">The options are incomplete or contradictory.</exception>
    /// <example>
    /// <code>
    /// var builder = WebApplication.CreateBuilder(args);
    /// builder.WebHost.UseOverlay(o => { o.IdentityFile = "chatapp.json"; o.Bind("chatapp"); });
    /// </code>
    /// </example>
    public static IWebHostBuilder UseOverlay(this IWebHostBuilder builder, Action<OverlayHostingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new OverlayHostingOptions();
        configure(options);
        options.Validate();

        builder.ConfigureServices(services =>
        {
            services.AddSingleton(options);
            services.AddSingleton<OverlayBindings>();
            services.AddSingleton<OverlayConnectionListenerFactory>();
            // Added, not tried: Kestrel asks the last registered factory first, and each one's CanBind
            // keeps it to its own endpoints, so sockets still serve IP endpoints when dark mode is off.
            services.AddSingleton<IConnectionListenerFactory>(sp => sp.GetRequiredService<OverlayConnectionListenerFactory>());
            if (options.DarkMode)
            {
                services.AddSingleton<DarkModeGuard>();
                services.AddSingleton<IConnectionListenerFactory>(sp => sp.GetRequiredService<DarkModeGuard>());
                services.AddSingleton<IMultiplexedConnectionListenerFactory>(sp => sp.GetRequiredService<DarkModeGuard>());
                services.AddHostedService<DarkModeStartupCheck>();
            }

            // First in the pipeline: a foreign Host or a cross-site post through a browser tunnel never reaches the app.
            services.AddSingleton<IStartupFilter, OverlayRequestGuard>();
            services.AddAuthentication()
                .AddScheme<AuthenticationSchemeOptions, OverlayAuthenticationHandler>(OverlayClaims.AuthenticationType, displayName: null, configureOptions: null);
            services.Configure<KestrelServerOptions>(kestrel =>
            {
                // A listen configured in code also keeps Kestrel from adding its default http://localhost:5000.
                // Kestrel serves cleartext HTTP/2 only on an HTTP/2-only endpoint; a service serving both
                // versions gets an HTTP/2 lane that the binding fills with connections opening with the preface.
                var both = options.Protocols.HasFlag(HttpProtocols.Http1) && options.Protocols.HasFlag(HttpProtocols.Http2);
                foreach (var service in options.Services)
                {
                    kestrel.Listen(new OverlayEndPoint(service), listen => listen.Protocols = both ? HttpProtocols.Http1 : options.Protocols);
                    if (both)
                    {
                        kestrel.Listen(new OverlayEndPoint(service, identity: null, http2Lane: true), listen => listen.Protocols = HttpProtocols.Http2);
                    }
                }
            });
        });
        return builder;
    }
}
