using System.ClientModel.Primitives;
using Azure.Core;
using Microsoft.Extensions.Logging;
using SecureAoai.Client.Internal;

namespace SecureAoai.Client.Credentials.Internal;

/// <summary>
/// Bearer authentication with a cached Entra ID token. System.ClientModel's BearerTokenPolicy asks
/// the credential on every request and ignores 401s; this one keeps the token, refreshes it ahead of
/// expiry with one refresh in flight however many requests wait, and on a 401 refreshes once and
/// sends the request again, except for a 401 <c>PermissionDenied</c>: the principal lacks the role,
/// a new token would not have it either, so that answer goes to the caller as it is.
/// </summary>
internal sealed class EntraTokenPolicy : AuthenticationPolicy
{
    /// <summary>The most a token is refreshed ahead of its expiry when the credential gives no RefreshOn.</summary>
    internal static readonly TimeSpan MaxRefreshAhead = TimeSpan.FromMinutes(5);

    /// <summary>A token is not sent in its last moments, so it cannot expire on the way.</summary>
    internal static readonly TimeSpan MaxExpirySkew = TimeSpan.FromSeconds(30);

    /// <summary>After a failed background refresh, the next one waits this long.</summary>
    internal static readonly TimeSpan BackgroundRetryDelay = TimeSpan.FromSeconds(10);

    private readonly TokenCredential _credential;
    private readonly TokenRequestContext _context;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private CachedToken? _token;
    private Task<CachedToken>? _refresh;
    private DateTimeOffset _nextBackgroundRefresh;

    public EntraTokenPolicy(TokenCredential credential, string scope, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentException.ThrowIfNullOrEmpty(scope);
        _credential = credential;
        _context = new TokenRequestContext([scope]);
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex) =>
        ProcessAsync(message, pipeline, currentIndex, async: false).AsTask().GetAwaiter().GetResult();

    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex) =>
        ProcessAsync(message, pipeline, currentIndex, async: true);

    private async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex, bool async)
    {
        var token = await GetTokenAsync(rejected: null, claims: null, message.CancellationToken).ConfigureAwait(false);
        message.Request.Headers.Set("Authorization", "Bearer " + token.Token.Token);
        await SendAsync(message, pipeline, currentIndex, async).ConfigureAwait(false);

        if (message.Response?.Status != 401)
        {
            return;
        }

        // Read by its code, never its words: Azure sends a missing role as 401 PermissionDenied.
        var error = await AzureErrorBody.ReadAsync(message.Response, async, message.CancellationToken).ConfigureAwait(false);
        if (error.IsPermissionDenied)
        {
            Log.NotRefreshingForMissingRole(_logger, message.Request.Uri?.GetLeftPart(UriPartial.Authority) ?? "");
            return;
        }

        // One refresh and one more try: a token revoked or rotated early gets replaced, while a
        // token the resource will never accept (wrong audience or tenant) is not retried forever.
        // A claims challenge (continuous access evaluation) is passed to the credential, which
        // makes Azure.Identity bypass its own token cache.
        var claims = ClaimsChallenge.Parse(message.Response.Headers);
        Log.RetryingAfterUnauthorized(_logger, message.Request.Uri?.GetLeftPart(UriPartial.Authority) ?? "", claims is not null);
        var fresh = await GetTokenAsync(rejected: token, claims, message.CancellationToken).ConfigureAwait(false);
        if (string.Equals(fresh.Token.Token, token.Token.Token, StringComparison.Ordinal))
        {
            // The credential handed back the token just refused (its own cache): sending it again
            // would only repeat the 401, which goes to the caller with the resource's reason.
            Log.RefreshReturnedSameToken(_logger);
            return;
        }

        message.Response.Dispose();
        message.Request.Headers.Set("Authorization", "Bearer " + fresh.Token.Token);
        await SendAsync(message, pipeline, currentIndex, async).ConfigureAwait(false);
    }

    private static ValueTask SendAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex, bool async)
    {
        if (async)
        {
            return ProcessNextAsync(message, pipeline, currentIndex);
        }

        ProcessNext(message, pipeline, currentIndex);
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// The token to send. <paramref name="rejected"/> is a token the resource refused: it is replaced
    /// unless another request already replaced it; <paramref name="claims"/> is the resource's claims
    /// challenge for that refresh, if it sent one.
    /// </summary>
    internal async ValueTask<CachedToken> GetTokenAsync(CachedToken? rejected, string? claims, CancellationToken cancellationToken)
    {
        Task<CachedToken> refresh;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var current = _token;
            var refused = rejected is not null && ReferenceEquals(current, rejected);
            if (current is not null && !refused)
            {
                if (now < current.RefreshAt)
                {
                    return current;
                }

                if (now < current.UsableUntil)
                {
                    // Still good: callers go on with it while one refresh runs in the background.
                    if (_refresh is null && now >= _nextBackgroundRefresh)
                    {
                        _refresh = StartRefresh(background: true, claims: null);
                    }

                    return current;
                }
            }

            refresh = _refresh ??= StartRefresh(background: false, refused ? claims : null);
        }

        return await refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private Task<CachedToken> StartRefresh(bool background, string? claims)
    {
        // Run apart from the caller: its cancellation must not fail the others waiting on it, and
        // a credential answering synchronously must not complete inside the lock.
        var context = claims is null ? _context : new TokenRequestContext(_context.Scopes, claims: claims);
        var refresh = Task.Run(() => RefreshAsync(context, background));
        if (background)
        {
            // Nobody may await a background refresh; its failure is logged, not left unobserved.
            refresh.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        return refresh;
    }

    private async Task<CachedToken> RefreshAsync(TokenRequestContext context, bool background)
    {
        using var activity = Telemetry.Source.StartActivity("SecureAoai.AcquireToken");
        try
        {
            var token = await _credential.GetTokenAsync(context, CancellationToken.None).ConfigureAwait(false);
            var cached = CachedToken.Create(token, _time.GetUtcNow());
            lock (_gate)
            {
                _token = cached;
                _refresh = null;
            }

            return cached;
        }
        catch (Exception ex)
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.GetType().Name);
            lock (_gate)
            {
                _refresh = null;
                if (background)
                {
                    _nextBackgroundRefresh = _time.GetUtcNow() + BackgroundRetryDelay;
                }
            }

            if (background)
            {
                Log.BackgroundRefreshFailed(_logger, ex);
            }

            throw;
        }
    }

    /// <summary>A token with the instants it should be refreshed at and last sent at.</summary>
    internal sealed record CachedToken(AccessToken Token, DateTimeOffset RefreshAt, DateTimeOffset UsableUntil)
    {
        public static CachedToken Create(AccessToken token, DateTimeOffset now)
        {
            var lifetime = token.ExpiresOn - now;
            if (lifetime <= TimeSpan.Zero)
            {
                return new CachedToken(token, token.ExpiresOn, token.ExpiresOn);
            }

            // Short-lived tokens (minutes, as in tests) get proportionally shorter margins.
            var usableUntil = token.ExpiresOn - Min(MaxExpirySkew, lifetime / 10);
            var refreshAt = token.RefreshOn ?? token.ExpiresOn - Min(MaxRefreshAhead, lifetime / 2);
            return new CachedToken(token, refreshAt < usableUntil ? refreshAt : usableUntil, usableUntil);
        }

        private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    }
}
