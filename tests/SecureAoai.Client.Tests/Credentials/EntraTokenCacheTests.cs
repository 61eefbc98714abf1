using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SecureAoai.Client.Credentials.Internal;

namespace SecureAoai.Client.Tests.Credentials;

public sealed class EntraTokenCacheTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-11-22T10:00:00Z"));

    private EntraTokenCache CreatePolicy(CountingCredential credential) =>
        new(credential, "https://cognitiveservices.azure.com/.default", NullLogger.Instance, _time);

    [Fact]
    public async Task GetToken_TokenFresh_ReusesCachedToken()
    {
        var credential = new CountingCredential(_time, TimeSpan.FromHours(1));
        var policy = CreatePolicy(credential);

        var first = await policy.GetTokenAsync(null, null, default);
        _time.Advance(TimeSpan.FromMinutes(30));
        var second = await policy.GetTokenAsync(null, null, default);

        Assert.Same(first, second);
        Assert.Equal(1, credential.Calls);
    }

    [Fact]
    public async Task GetToken_InsideRefreshWindow_ReturnsCurrentAndRefreshesOnceInBackground()
    {
        var credential = new CountingCredential(_time, TimeSpan.FromHours(1));
        var policy = CreatePolicy(credential);
        var first = await policy.GetTokenAsync(null, null, default);

        credential.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _time.Advance(TimeSpan.FromMinutes(56)); // 4 minutes left: inside the 5-minute refresh window
        var during = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => policy.GetTokenAsync(null, null, default).AsTask()));

        Assert.All(during, t => Assert.Same(first, t));
        credential.Gate.SetResult();
        await WaitUntilAsync(() => policy.GetTokenAsync(null, null, default).AsTask(), t => t.Token.Token == "token-2");
        Assert.Equal(2, credential.Calls);
    }

    [Fact]
    public async Task GetToken_ExpiredWithConcurrentCallers_FetchesExactlyOneNewToken()
    {
        var credential = new CountingCredential(_time, TimeSpan.FromMinutes(10));
        var policy = CreatePolicy(credential);
        await policy.GetTokenAsync(null, null, default);

        credential.Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _time.Advance(TimeSpan.FromMinutes(11));
        var waiting = Enumerable.Range(0, 50).Select(_ => policy.GetTokenAsync(null, null, default).AsTask()).ToArray();
        Assert.All(waiting, t => Assert.False(t.IsCompleted));
        credential.Gate.SetResult();
        var tokens = await Task.WhenAll(waiting);

        Assert.Equal(2, credential.Calls);
        Assert.All(tokens, t => Assert.Equal("token-2", t.Token.Token));
    }

    [Fact]
    public async Task GetToken_RefreshOnGiven_RefreshesAtThatInstant()
    {
        var credential = new CountingCredential(_time, TimeSpan.FromHours(24)) { RefreshAfter = TimeSpan.FromHours(12) };
        var policy = CreatePolicy(credential);
        await policy.GetTokenAsync(null, null, default);

        _time.Advance(TimeSpan.FromHours(11));
        await policy.GetTokenAsync(null, null, default);
        Assert.Equal(1, credential.Calls);

        _time.Advance(TimeSpan.FromHours(1.5));
        await WaitUntilAsync(() => policy.GetTokenAsync(null, null, default).AsTask(), t => t.Token.Token == "token-2");
        Assert.Equal(2, credential.Calls);
    }

    [Fact]
    public async Task GetToken_TokenRejected_FetchesNewOne()
    {
        var credential = new CountingCredential(_time, TimeSpan.FromHours(1));
        var policy = CreatePolicy(credential);
        var rejected = await policy.GetTokenAsync(null, null, default);

        var fresh = await policy.GetTokenAsync(rejected, null, default);

        Assert.Equal("token-2", fresh.Token.Token);
    }

    [Fact]
    public async Task GetToken_RejectedWithClaims_PassesClaimsToCredentialForThatRefreshOnly()
    {
        var credential = new CountingCredential(_time, TimeSpan.FromHours(1));
        var policy = CreatePolicy(credential);
        var rejected = await policy.GetTokenAsync(null, null, default);
        const string claims = """{"access_token":{"nbf":{"essential":true,"value":"1795000000"}}}""";

        await policy.GetTokenAsync(rejected, claims, default);
        Assert.Equal(claims, credential.LastClaims);

        _time.Advance(TimeSpan.FromHours(1));
        await policy.GetTokenAsync(null, null, default);
        Assert.Null(credential.LastClaims);
    }

    [Fact]
    public async Task GetToken_RejectedTokenAlreadyReplaced_DoesNotRefreshAgain()
    {
        var credential = new CountingCredential(_time, TimeSpan.FromHours(1));
        var policy = CreatePolicy(credential);
        var rejected = await policy.GetTokenAsync(null, null, default);
        var replacement = await policy.GetTokenAsync(rejected, null, default);

        var again = await policy.GetTokenAsync(rejected, null, default);

        Assert.Same(replacement, again);
        Assert.Equal(2, credential.Calls);
    }

    [Fact]
    public async Task GetToken_CredentialFails_ErrorReachesCallerAndNextCallTriesAgain()
    {
        var credential = new CountingCredential(_time, TimeSpan.FromHours(1)) { Failure = new InvalidOperationException("no identity") };
        var policy = CreatePolicy(credential);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => policy.GetTokenAsync(null, null, default).AsTask());
        credential.Failure = null;
        var token = await policy.GetTokenAsync(null, null, default);

        Assert.Equal("no identity", error.Message);
        Assert.Equal("token-2", token.Token.Token);
    }

    [Fact]
    public async Task GetToken_CallerCancels_OtherWaitersStillGetTheToken()
    {
        var credential = new CountingCredential(_time, TimeSpan.FromHours(1))
        {
            Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously),
        };
        var policy = CreatePolicy(credential);
        using var cancel = new CancellationTokenSource();

        var cancelled = policy.GetTokenAsync(null, null, cancel.Token).AsTask();
        var other = policy.GetTokenAsync(null, null, default).AsTask();
        await cancel.CancelAsync();
        credential.Gate.SetResult();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        Assert.Equal("token-1", (await other).Token.Token);
    }

    [Fact]
    public void CachedToken_ShortLifetime_RefreshesAtHalfAndStopsSendingBeforeExpiry()
    {
        var now = _time.GetUtcNow();
        var cached = EntraTokenCache.CachedToken.Create(new Azure.Core.AccessToken("t", now.AddSeconds(60)), now);

        Assert.Equal(now.AddSeconds(30), cached.RefreshAt);
        Assert.Equal(now.AddSeconds(54), cached.UsableUntil);
    }

    /// <summary>A background refresh completes on the thread pool; poll for its effect, bounded.</summary>
    private static async Task WaitUntilAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        for (var i = 0; i < 200; i++)
        {
            if (done(await read()))
            {
                return;
            }

            await Task.Delay(10);
        }

        Assert.Fail("The background refresh did not complete within 2 seconds.");
    }
}
