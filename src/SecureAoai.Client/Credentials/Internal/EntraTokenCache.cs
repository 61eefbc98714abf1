using Azure.Core;
using Microsoft.Extensions.Logging;
using SecureAoai.Client.Internal;

namespace SecureAoai.Client.Credentials.Internal;

/// <summary>
/// The cached Entra ID token for one scope. System.ClientModel's BearerTokenPolicy asks the
/// credential on every request; this keeps the token, refreshes it ahead of expiry with one refresh
/// in flight however many requests wait, and replaces a token an endpoint refused (at most once per
/// refusal, see <see cref="GetTokenAsync"/>). One cache per scope: an endpoint only ever gets a
/// token from the cache of its own scope (<see cref="EndpointAuthentication"/>), so a token for one
/// audience never reaches an endpoint of another.
/// </summary>
internal sealed class EntraTokenCache
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

    public EntraTokenCache(TokenCredential credential, string scope, ILogger logger, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(credential);
        ArgumentException.ThrowIfNullOrEmpty(scope);
        _credential = credential;
        Scope = scope;
        _context = new TokenRequestContext([scope]);
        _logger = logger;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The scope every token of this cache is asked for.</summary>
    public string Scope { get; }

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

    /// <summary>
    /// A token with the instants it should be refreshed at and last sent at. Its claims are read the
    /// first time a refusal needs them; the token itself is never logged or shown.
    /// </summary>
    internal sealed class CachedToken
    {
        private AccessTokenClaims? _claims;
        private bool _claimsRead;
        private string? _authorization;

        private CachedToken(AccessToken token, DateTimeOffset refreshAt, DateTimeOffset usableUntil)
        {
            Token = token;
            RefreshAt = refreshAt;
            UsableUntil = usableUntil;
        }

        public AccessToken Token { get; }

        public DateTimeOffset RefreshAt { get; }

        public DateTimeOffset UsableUntil { get; }

        /// <summary>
        /// The <c>Authorization</c> header's value, <c>Bearer TOKEN</c>: made once per token, not per
        /// request (a token is a few kilobytes).
        /// </summary>
        public string AuthorizationValue => _authorization ??= "Bearer " + Token.Token;

        /// <summary>The token's claims (audience, tenant, principal, expiry), or <see langword="null"/> when it is not a readable JWT.</summary>
        public AccessTokenClaims? Claims
        {
            get
            {
                if (!_claimsRead)
                {
                    _claims = AccessTokenClaims.FromAccessToken(Token.Token);
                    _claimsRead = true;
                }

                return _claims;
            }
        }

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

        /// <summary>Says what the token is for, never the token itself.</summary>
        public override string ToString() => $"Entra ID token valid until {Token.ExpiresOn:u}";

        private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
    }
}
