using Microsoft.Extensions.Options;

namespace SecureAoai.Client.Overlay.Internal;

/// <summary>Fails the start when an intercepted host is none of the configured endpoints' (a typo would otherwise send that endpoint's traffic by TCP).</summary>
internal sealed class OverlayInterceptValidator(OverlayInterceptMap map) : IValidateOptions<SecureOpenAIOptions>
{
    public ValidateOptionsResult Validate(string? name, SecureOpenAIOptions options)
    {
        var endpoints = options.Endpoints.Count > 0
            ? options.Endpoints.Where(e => e.Uri is not null).Select(e => e.Uri!)
            : options.Endpoint is { } single ? [single] : [];
        var unused = map.Unused(endpoints).ToList();
        return unused.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"UseOverlay intercepts {string.Join(", ", unused)}, which no SecureOpenAI endpoint uses. Intercept each endpoint's host exactly as configured (host, or host:port), or remove the intercept.");
    }
}
