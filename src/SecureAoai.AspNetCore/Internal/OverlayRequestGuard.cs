using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace SecureAoai.AspNetCore.Internal;

/// <summary>
/// Refuses, on overlay connections, what a web page the user happens to open could send through a
/// loopback tunnel (which dials as the user's identity): a request whose Host is not a name this app
/// is reached by (a DNS-rebinding page, whose own name now points at 127.0.0.1, could otherwise read
/// the answers) and a state-changing request a browser sends from another site (a cross-site form
/// post). It runs first in the pipeline, before any endpoint or static file, and leaves requests that
/// did not come through the overlay to the app.
/// </summary>
internal sealed partial class OverlayRequestGuard(OverlayHostingOptions options, ILogger<OverlayRequestGuard> logger) : IStartupFilter
{
    private readonly HostString[] _allowed = [.. options.AllowedHosts.Where(h => h != "*").Select(h => new HostString(h))];
    private readonly bool _anyHost = options.AllowedHosts.Contains("*");

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(InvokeAsync);
        next(app);
    };

    private Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        if (context.Features.Get<IOverlayConnectionFeature>() is not { } overlay)
        {
            return next();
        }

        var request = context.Request;
        if (!_anyHost && !IsAllowedHost(request.Host, overlay.Service))
        {
            LogForeignHost(logger, request.Host.Value ?? "(none)", overlay.Caller.Name);
            return RefuseAsync(context, StatusCodes.Status400BadRequest,
                "The Host header does not name this app. Reach it by the address of your tunnel or by its service name; " +
                "its operator lists further names in OverlayHostingOptions.AllowedHosts.");
        }

        if (options.RefuseCrossSiteRequests && IsStateChanging(request) && IsCrossSite(request))
        {
            LogCrossSite(logger, request.Method, request.Headers.Origin.ToString(), request.Headers["Sec-Fetch-Site"].ToString(), overlay.Caller.Name);
            return RefuseAsync(context, StatusCodes.Status403Forbidden,
                "A page from another site may not send this request to this app.");
        }

        return next();
    }

    private bool IsAllowedHost(HostString host, string service)
    {
        if (!host.HasValue)
        {
            return false;
        }

        if (string.Equals(host.Host, service, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var allowed in _allowed)
        {
            if (string.Equals(host.Host, allowed.Host, StringComparison.OrdinalIgnoreCase) && (allowed.Port is null || allowed.Port == host.Port))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Anything but a read; a WebSocket upgrade too, since the socket it opens can do anything.</summary>
    private static bool IsStateChanging(HttpRequest request) =>
        !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method))
        || request.Headers.Upgrade.Count > 0;

    /// <summary>
    /// What a browser says about where a request comes from: <c>Sec-Fetch-Site</c> (another site, or
    /// another port of the same host, which is the same "site") or an <c>Origin</c> that is not this
    /// app's own. Clients that are not browsers send neither.
    /// </summary>
    private static bool IsCrossSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Equals("cross-site", StringComparison.OrdinalIgnoreCase) || site.Equals("same-site", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var origin = request.Headers.Origin.ToString();
        return origin.Length > 0 && !origin.Equals($"{request.Scheme}://{request.Host.Value}", StringComparison.OrdinalIgnoreCase);
    }

    private static Task RefuseAsync(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return context.Response.WriteAsync(message, context.RequestAborted);
    }

    [LoggerMessage(405, LogLevel.Warning, "Refused a request from '{Caller}' with Host '{Host}': not a name this app is reached by (OverlayHostingOptions.AllowedHosts).")]
    private static partial void LogForeignHost(ILogger logger, string host, string caller);

    [LoggerMessage(406, LogLevel.Warning, "Refused a cross-site {Method} from '{Caller}' (Origin '{Origin}', Sec-Fetch-Site '{Site}').")]
    private static partial void LogCrossSite(ILogger logger, string method, string origin, string site, string caller);
}
