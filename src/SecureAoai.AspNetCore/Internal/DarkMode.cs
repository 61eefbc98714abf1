namespace SecureAoai.AspNetCore.Internal;

/// <summary>The dark-mode refusal, worded once for both places that detect a binding.</summary>
internal static class DarkMode
{
    public static InvalidOperationException Refuse(OverlayHostingOptions options, string binding, string origin) => new(
        $"Dark mode refuses to start: {binding} was configured by {origin}. A dark app listens on no TCP port or Unix socket; " +
        $"it is reachable only through the overlay service(s) {string.Join(", ", options.Services.Select(s => $"'{s}'"))}. " +
        "Remove that binding, or set OverlayHostingOptions.DarkMode = false in UseOverlay to serve on it as well.");
}
