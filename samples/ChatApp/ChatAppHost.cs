using System.Reflection;
using Microsoft.Extensions.FileProviders;
using SecureAoai.Client;

namespace ChatApp;

/// <summary>
/// The chat app's services and endpoints, apart from how it is hosted, so the same app runs on TCP,
/// on the overlay, or inside a test.
/// </summary>
/// <example>
/// <code>
/// var builder = WebApplication.CreateBuilder(args);
/// ChatAppHost.ConfigureServices(builder);
/// var app = builder.Build();
/// ChatAppHost.MapEndpoints(app);
/// app.Run();
/// </code>
/// </example>
public static class ChatAppHost
{
    /// <summary>Registers the OpenAI clients from the <c>SecureOpenAI</c> section and the app's services.</summary>
    /// <param name="builder">The application builder.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static WebApplicationBuilder ConfigureServices(WebApplicationBuilder builder) => ConfigureServices(builder, openAI: null);

    /// <summary>As <see cref="ConfigureServices(WebApplicationBuilder)"/>, with more configuration of the OpenAI clients.</summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="openAI">Further configuration of the OpenAI clients, such as <c>UseOverlay</c>, or <see langword="null"/> for none.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static WebApplicationBuilder ConfigureServices(WebApplicationBuilder builder, Action<SecureOpenAIBuilder>? openAI)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var clients = builder.AddSecureOpenAI();
        openAI?.Invoke(clients);
        builder.Services.AddChatApp();
        return builder;
    }

    /// <summary>Registers the app's own services; the caller registers the OpenAI clients.</summary>
    /// <param name="services">The service collection.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddChatApp(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<ConversationStore>();
        services.AddProblemDetails();
        return services;
    }

    /// <summary>
    /// Serves the page and maps the API. Call it after any authentication middleware, since the
    /// conversations are keyed by <see cref="HttpContext.User"/>.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns><paramref name="app"/>.</returns>
    public static WebApplication MapEndpoints(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var page = new EmbeddedFileProvider(typeof(ChatAppHost).Assembly, "ChatApp.wwwroot");
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = page });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = page });

        var api = app.MapGroup("/api");
        api.MapGet("/me", (HttpContext context) => Caller.From(context.User));
        api.MapGet("/conversation", (HttpContext context, ConversationStore store) =>
        {
            var caller = Caller.From(context.User);
            return new ConversationView(caller.Name, store.History(caller.Name));
        });
        api.MapDelete("/conversation", (HttpContext context, ConversationStore store) =>
        {
            store.Clear(Caller.From(context.User).Name);
            return Results.NoContent();
        });
        api.MapPost("/chat", ChatEndpoint.HandleAsync);
        return app;
    }
}
