using Azure.Core;
using Microsoft.Extensions.Time.Testing;

namespace SecureAoai.Client.Tests.Credentials;

/// <summary>A credential seam: issues numbered tokens against a fake clock and counts the calls.</summary>
internal sealed class CountingCredential(FakeTimeProvider time, TimeSpan lifetime) : TokenCredential
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>When set, every call waits for it, so a test can hold a refresh in flight.</summary>
    public TaskCompletionSource? Gate { get; set; }

    public Exception? Failure { get; set; }

    /// <summary>When set, each token says to refresh it this long after it was issued (as Azure.Identity's RefreshOn).</summary>
    public TimeSpan? RefreshAfter { get; set; }

    /// <summary>The claims of the last request, as the policy passed them.</summary>
    public string? LastClaims { get; private set; }

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        var n = Interlocked.Increment(ref _calls);
        LastClaims = requestContext.Claims;
        if (Gate is { } gate)
        {
            await gate.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        }

        if (Failure is { } failure)
        {
            throw failure;
        }

        var now = time.GetUtcNow();
        return new AccessToken($"token-{n}", now + lifetime, now + RefreshAfter);
    }
}
