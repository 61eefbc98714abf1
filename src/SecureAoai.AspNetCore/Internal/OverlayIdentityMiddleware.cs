using Microsoft.AspNetCore.Http;

namespace SecureAoai.AspNetCore.Internal;

/// <summary>Sets <see cref="HttpContext.User"/> to the overlay caller on connections that came through the overlay.</summary>
internal sealed class OverlayIdentityMiddleware(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.Features.Get<IOverlayConnectionFeature>() is { } connection)
        {
            context.User = OverlayPrincipal.Create(connection);
        }

        return next(context);
    }
}
