using Microsoft.Extensions.FileProviders;
using SecureAoai.Client;

namespace DocApp;

/// <summary>
/// The document app's services and endpoints, apart from how it is hosted, so the same app runs on
/// TCP, on the overlay, or inside a test.
/// </summary>
/// <example>
/// <code>
/// var builder = WebApplication.CreateBuilder(args);
/// DocAppHost.ConfigureServices(builder);
/// var app = builder.Build();
/// DocAppHost.MapEndpoints(app);
/// app.Run();
/// </code>
/// </example>
public static class DocAppHost
{
    /// <summary>
    /// Registers the OpenAI clients from the <c>SecureOpenAI</c> section (which needs one chat and one
    /// embedding deployment) and the app's services.
    /// </summary>
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
        builder.Services.AddDocApp();
        return builder;
    }

    /// <summary>Registers the app's own services; the caller registers the OpenAI clients.</summary>
    /// <param name="services">The service collection.</param>
    /// <returns><paramref name="services"/>.</returns>
    public static IServiceCollection AddDocApp(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<DocumentStore>();
        services.AddProblemDetails();
        return services;
    }

    /// <summary>
    /// Serves the page and maps the API. Call it after any authentication middleware, since the
    /// documents are kept per <see cref="HttpContext.User"/>.
    /// </summary>
    /// <param name="app">The application.</param>
    /// <returns><paramref name="app"/>.</returns>
    public static WebApplication MapEndpoints(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var page = new EmbeddedFileProvider(typeof(DocAppHost).Assembly, "DocApp.wwwroot");
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = page });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = page });

        var api = app.MapGroup("/api");
        api.MapGet("/me", (HttpContext context) => Caller.From(context.User));
        api.MapGet("/documents", DocumentEndpoints.List);
        api.MapPost("/documents", DocumentEndpoints.UploadAsync).DisableAntiforgery();
        api.MapPost("/ask", DocumentEndpoints.AskAsync);
        return app;
    }
}
