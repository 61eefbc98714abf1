using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SecureAoai.Client;
using SecureAoai.Client.Overlay;
using SecureAoai.Client.Overlay.Internal;
using SecureAoai.Overlay;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Sends the traffic of <c>AddSecureOpenAI</c> over a SecureAoai overlay.</summary>
public static class SecureOpenAIOverlayExtensions
{
    /// <summary>
    /// Reaches the intercepted endpoints by dialing overlay services, as the identity given, instead
    /// of resolving them and connecting by TCP: every client <c>AddSecureOpenAI</c> registers
    /// (OpenAI, Microsoft.Extensions.AI, and any made on <see cref="SecureOpenAIPipeline"/>) uses it,
    /// with failover, authentication and TLS to the endpoint unchanged. Endpoints not intercepted
    /// keep the network policy. Registers the overlay as a singleton <see cref="IOverlayTransport"/>
    /// (and as <see cref="OverlayContext"/> when it is one): made from
    /// <see cref="SecureOpenAIOverlayOptions.IdentityFile"/> or <see cref="SecureOpenAIOverlayOptions.Identity"/>
    /// when the options are first needed (at start, with <c>ValidateOnStart</c>), and disposed with
    /// the service provider (use <c>DisposeAsync</c>, as hosts do: the context disposes only asynchronously);
    /// or the shared <see cref="SecureOpenAIOverlayOptions.Transport"/>, never disposed by the provider.
    /// Not to be combined with <c>UseConnector</c> (the one called last wins). At start, an intercepted
    /// host that no endpoint uses is an error.
    /// </summary>
    /// <param name="builder">The builder <c>AddSecureOpenAI</c> returned.</param>
    /// <param name="configure">Sets the identity and the intercepts; checked at once.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="InvalidOperationException">The options are incomplete, or <c>UseOverlay</c> was already called on this service collection.</exception>
    /// <example>
    /// <code>
    /// builder.AddSecureOpenAI().UseOverlay(o =>
    /// {
    ///     o.IdentityFile = "chatapp.json";
    ///     o.Intercept("contoso-east.openai.azure.com", "aoai-east");
    /// });
    /// </code>
    /// </example>
    public static SecureOpenAIBuilder UseOverlay(this SecureOpenAIBuilder builder, Action<SecureOpenAIOverlayOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        var options = new SecureOpenAIOverlayOptions();
        configure(options);
        options.Validate();
        var services = builder.Services;
        if (services.Any(d => d.ServiceType == typeof(OverlayInterceptMap)))
        {
            throw new InvalidOperationException("UseOverlay was already called for these services; give every intercept in one call, since there is one overlay.");
        }

        var map = new OverlayInterceptMap(new Dictionary<string, string>(options.Intercepts, StringComparer.OrdinalIgnoreCase));
        services.AddSingleton(map);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SecureOpenAIOptions>, OverlayInterceptValidator>());
        if (options.Transport is { } shared)
        {
            // Instance registrations: the provider hands them out but does not dispose them.
            services.AddSingleton(shared);
            if (shared is OverlayContext context)
            {
                services.AddSingleton(context);
            }
        }
        else
        {
            var identityFile = options.IdentityFile;
            var identity = options.Identity;
            var contextOptions = options.ContextOptions;
            services.AddSingleton(sp =>
            {
                var logging = sp.GetService<ILoggerFactory>();
                return identityFile is not null
                    ? OverlayContext.FromIdentityFile(identityFile, contextOptions, logging)
                    : OverlayContext.Create(identity!, contextOptions, logging);
            });
            services.AddSingleton<IOverlayTransport>(sp => sp.GetRequiredService<OverlayContext>());
        }

        services.AddOptions<SecureOpenAIOptions>().Configure<IOverlayTransport>((o, overlay) => o.Connector = map.Connector(overlay));
        return builder;
    }
}
