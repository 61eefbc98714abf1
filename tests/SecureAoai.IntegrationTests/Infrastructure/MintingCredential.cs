using Azure.Core;

namespace SecureAoai.IntegrationTests.Infrastructure;

/// <summary>
/// Hands out tokens the test mints (with <c>EmulatorServer.CreateAccessToken</c>), one per call,
/// chosen by the call's number from 1, each reported valid for an hour whatever its claims say;
/// counts the calls. For tests of what the SDK does with a token the resource refuses.
/// </summary>
internal sealed class MintingCredential(Func<int, string> mint) : TokenCredential
{
    private int _calls;

    public int Calls => Volatile.Read(ref _calls);

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        new(mint(Interlocked.Increment(ref _calls)), DateTimeOffset.UtcNow.AddHours(1));

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));
}
