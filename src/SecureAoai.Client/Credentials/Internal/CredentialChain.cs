using System.Diagnostics;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.Logging;
using SecureAoai.Client.Internal;

namespace SecureAoai.Client.Credentials.Internal;

/// <summary>
/// Tries credentials in order and sticks to the first that works. Unlike ChainedTokenCredential it
/// remembers and reports which one succeeded, and its failure lists every attempt.
/// </summary>
internal sealed class CredentialChain : TokenCredential
{
    private readonly IReadOnlyList<NamedCredential> _credentials;
    private readonly ILogger _logger;
    private NamedCredential? _selected;

    public CredentialChain(IReadOnlyList<NamedCredential> credentials, ILogger logger)
    {
        if (credentials.Count == 0)
        {
            throw new ArgumentException("The credential chain is empty.", nameof(credentials));
        }

        _credentials = credentials;
        _logger = logger;
    }

    /// <summary>The credential that last produced a token, or <see langword="null"/> before the first.</summary>
    public string? SelectedName => _selected?.Name;

    public IReadOnlyList<string> Names => _credentials.Select(c => c.Name).ToArray();

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        GetTokenAsync(requestContext, cancellationToken).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        // Once a credential has worked, it alone is asked: falling back to another identity
        // later would silently change who the app is.
        if (_selected is { } selected)
        {
            var token = await selected.Credential.GetTokenAsync(requestContext, cancellationToken).ConfigureAwait(false);
            Activity.Current?.SetTag(Telemetry.CredentialTag, selected.Name);
            return token;
        }

        var attempts = new List<CredentialAttempt>(_credentials.Count);
        foreach (var candidate in _credentials)
        {
            try
            {
                var token = await candidate.Credential.GetTokenAsync(requestContext, cancellationToken).ConfigureAwait(false);
                if (Interlocked.CompareExchange(ref _selected, candidate, null) is null)
                {
                    Log.CredentialSelected(_logger, candidate.Name, attempts.Count);
                }

                Activity.Current?.SetTag(Telemetry.CredentialTag, candidate.Name);
                return token;
            }
            catch (CredentialUnavailableException ex)
            {
                attempts.Add(new CredentialAttempt(candidate.Name, Unavailable: true, ex));
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // A credential that is set up but fails is a configuration error to report, not a
                // reason to try the next identity.
                attempts.Add(new CredentialAttempt(candidate.Name, Unavailable: false, ex));
                break;
            }
        }

        var failure = new CredentialChainException(string.Join(' ', requestContext.Scopes), attempts);
        Log.CredentialChainFailed(_logger, string.Join(", ", attempts.Select(a => a.Name)));
        throw failure;
    }
}
