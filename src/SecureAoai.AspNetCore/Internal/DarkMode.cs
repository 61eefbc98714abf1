namespace SecureAoai.AspNetCore.Internal;

/// <summary>The dark-mode refusals, worded once for every place that detects a binding or another server.</summary>
internal static class DarkMode
{
    public static InvalidOperationException Refuse(OverlayHostingOptions options, string binding, string origin) => new(
        $"Dark mode refuses to start: {binding} was configured by {origin}. {Promise(options)} " +
        "Remove that binding, or set OverlayHostingOptions.DarkMode = false in UseOverlay to serve on it as well.");

    public static InvalidOperationException RefuseServer(OverlayHostingOptions options, Type server) => new(
        $"Dark mode refuses to start: the web server is {server.FullName} (from {server.Assembly.GetName().Name}), not Kestrel. " +
        "Only Kestrel serves the overlay bindings, and another server listens wherever it is configured to " +
        $"(UseHttpSys, IIS in-process hosting, a test server). {Promise(options)} " +
        "Host the app on Kestrel (WebApplication.CreateBuilder's default), or set OverlayHostingOptions.DarkMode = false in UseOverlay.");

    private static string Promise(OverlayHostingOptions options) =>
        "A dark app listens on no TCP or UDP port, Unix socket or named pipe; it is reachable only through the overlay service(s) " +
        $"{string.Join(", ", options.Services.Select(s => $"'{s}'"))}.";
}
