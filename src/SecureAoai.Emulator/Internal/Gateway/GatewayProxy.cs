using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using SecureAoai.Emulator.Internal.DataPlane;

namespace SecureAoai.Emulator.Internal.Gateway;

/// <summary>
/// One emulated API Management gateway's request handling, in API Management's order: the API
/// matched by its URL suffix, the subscription key, the token validation policy, then the backend
/// pool, called with the gateway's own managed identity. A backend that answers 429 or 5xx (or
/// cannot be reached) trips its circuit and the request is retried on the next one, as the retry
/// policy usually paired with a pool does; when every backend failed, the last answer goes back as it
/// came (a 429 with its Retry-After); when every circuit is already open, the gateway answers 503.
/// </summary>
internal sealed class GatewayProxy : IDisposable
{
    /// <summary>The largest request body the gateway buffers (to send it again to another backend).</summary>
    internal const int MaxRequestBodyBytes = 16 * 1024 * 1024;

    /// <summary>The gateway's managed-identity token is renewed this long before it expires.</summary>
    private static readonly TimeSpan TokenRenewAhead = TimeSpan.FromMinutes(5);

    private static readonly TimeSpan TokenLifetime = TimeSpan.FromHours(1);

    /// <summary>Headers not passed on either way: hop-by-hop, framing, and every credential the caller sent.</summary>
    private static readonly HashSet<string> NotForwarded = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Authorization", "Proxy-Connection",
        "Host", "Authorization", "api-key", EmulatorGatewayOptions.DefaultSubscriptionKeyHeader,
    };

    private readonly EmulatorGatewayOptions _options;
    private readonly TokenAuthority _tokens;
    private readonly BackendPool _pool;
    private readonly HttpClient _backends;
    private readonly byte[] _subscriptionKey;
    private readonly Lock _tokenGate = new();
    private (string Value, DateTimeOffset RenewAt)? _managedIdentityToken;
    private int _requestCount;

    public GatewayProxy(EmulatorGatewayOptions options, TokenAuthority tokens, BackendPool pool, HttpMessageHandler backendHandler)
    {
        _options = options;
        _tokens = tokens;
        _pool = pool;
        _backends = new HttpClient(backendHandler) { Timeout = Timeout.InfiniteTimeSpan };
        _subscriptionKey = Encoding.UTF8.GetBytes(options.SubscriptionKey);
        PathPrefix = "/" + options.PathPrefix.Trim('/');
    }

    /// <summary>The API's URL suffix, with a leading slash and no trailing one.</summary>
    public string PathPrefix { get; }

    public int RequestCount => Volatile.Read(ref _requestCount);

    public BackendPool Pool => _pool;

    public void Map(WebApplication app) => app.Run(HandleAsync);

    public void Dispose() => _backends.Dispose();

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requestCount);
        var path = context.Request.Path.Value ?? "";
        if (!path.StartsWith(PathPrefix + "/", StringComparison.OrdinalIgnoreCase))
        {
            await GatewayErrors.NotFound().WriteAsync(context).ConfigureAwait(false);
            return;
        }

        if (await AuthenticateAsync(context).ConfigureAwait(false) is { } refused)
        {
            await refused.WriteAsync(context).ConfigureAwait(false);
            return;
        }

        var body = await ReadBodyAsync(context).ConfigureAwait(false);
        if (body is null)
        {
            await new AzureError(StatusCodes.Status413PayloadTooLarge, "413", "Request entity too large.") { Bare = true }.WriteAsync(context).ConfigureAwait(false);
            return;
        }

        await ForwardAsync(context, path[PathPrefix.Length..] + context.Request.QueryString, body).ConfigureAwait(false);
    }

    /// <summary>The subscription check, then the token validation policy; <see langword="null"/> when the caller may pass.</summary>
    private async Task<AzureError?> AuthenticateAsync(HttpContext context)
    {
        var realm = $"https://{context.Request.Host}{PathPrefix}";
        if (_options.SubscriptionRequired)
        {
            var presented = context.Request.Headers[_options.SubscriptionKeyHeader].ToString();
            if (presented.Length == 0)
            {
                return GatewayErrors.MissingKey(realm, _options.SubscriptionKeyHeader);
            }

            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _subscriptionKey))
            {
                return GatewayErrors.InvalidKey(realm, _options.SubscriptionKeyHeader);
            }
        }

        if (_options.Audience is not { } audience)
        {
            return null;
        }

        var authorization = context.Request.Headers.Authorization.ToString();
        if (!authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return GatewayErrors.TokenRejected();
        }

        var result = await _tokens.ValidateAccessTokenAsync(authorization["Bearer ".Length..].Trim(), [audience, audience + "/"]).ConfigureAwait(false);
        return result.IsValid ? null : GatewayErrors.TokenRejected();
    }

    private static async Task<byte[]?> ReadBodyAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted).ConfigureAwait(false)) > 0)
        {
            if (buffer.Length + read > MaxRequestBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private async Task ForwardAsync(HttpContext context, string pathAndQuery, byte[] body)
    {
        var tried = new HashSet<EmulatorInstance>();
        HttpResponseMessage? last = null;
        try
        {
            while (_pool.Pick(tried) is { } backend)
            {
                tried.Add(backend);
                HttpResponseMessage response;
                try
                {
                    response = await _backends.SendAsync(BackendRequest(context, backend, pathAndQuery, body), HttpCompletionOption.ResponseHeadersRead, context.RequestAborted).ConfigureAwait(false);
                }
                catch (HttpRequestException)
                {
                    _pool.Trip(backend, _options.BreakerTripDuration);
                    continue;
                }

                var status = (int)response.StatusCode;
                if (status != StatusCodes.Status429TooManyRequests && status < 500)
                {
                    await CopyAsync(response, context).ConfigureAwait(false);
                    response.Dispose();
                    return;
                }

                _pool.Trip(backend, TripDuration(response));
                last?.Dispose();
                last = response;
            }

            if (last is not null)
            {
                await CopyAsync(last, context).ConfigureAwait(false);
                return;
            }

            var wait = _pool.UntilFirstCloses();
            context.Response.Headers.RetryAfter = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await GatewayErrors.NoBackendAvailable().WriteAsync(context).ConfigureAwait(false);
        }
        finally
        {
            last?.Dispose();
        }
    }

    private HttpRequestMessage BackendRequest(HttpContext context, EmulatorInstance backend, string pathAndQuery, byte[] body)
    {
        var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(backend.Endpoint, pathAndQuery.TrimStart('/')));
        if (body.Length > 0 || context.Request.ContentLength is not null)
        {
            request.Content = new ByteArrayContent(body);
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (NotForwarded.Contains(name) || string.Equals(name, _options.SubscriptionKeyHeader, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && request.Content is not null)
            {
                request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ManagedIdentityToken());
        return request;
    }

    /// <summary>The gateway's own token for Azure OpenAI, cached as a managed identity's is.</summary>
    private string ManagedIdentityToken()
    {
        lock (_tokenGate)
        {
            var now = DateTimeOffset.UtcNow;
            if (_managedIdentityToken is not { } token || now >= token.RenewAt)
            {
                var identity = _options.ManagedIdentity;
                var value = _tokens.CreateAccessToken(identity.ClientId, identity.ObjectId, TokenAuthority.CognitiveServicesAudience, TokenLifetime, identity.HasOpenAIUserRole);
                token = (value, now + TokenLifetime - TokenRenewAhead);
                _managedIdentityToken = token;
            }

            return token.Value;
        }
    }

    /// <summary>How long a failed backend's circuit stays open: its Retry-After when accepted, else the trip duration.</summary>
    private TimeSpan TripDuration(HttpResponseMessage response)
    {
        if (_options.AcceptRetryAfter && response.Headers.RetryAfter is { } retryAfter)
        {
            var wait = retryAfter.Delta ?? (retryAfter.Date is { } date ? date - DateTimeOffset.UtcNow : null);
            if (wait > TimeSpan.Zero)
            {
                return wait.Value;
            }
        }

        return _options.BreakerTripDuration;
    }

    /// <summary>Passes a backend's answer on: status, headers, and the body as it arrives (a stream stays a stream).</summary>
    private static async Task CopyAsync(HttpResponseMessage response, HttpContext context)
    {
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (!NotForwarded.Contains(name) && !string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase))
            {
                context.Response.Headers[name] = values.ToArray();
            }
        }

        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var stream = await response.Content.ReadAsStreamAsync(context.RequestAborted).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            try
            {
                await stream.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or HttpRequestException)
            {
                // The backend cut its stream: the caller's is cut too, as a gateway passing bytes on does.
                context.Abort();
            }
        }
    }
}
