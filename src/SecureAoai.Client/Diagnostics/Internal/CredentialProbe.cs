using System.Globalization;
using Azure.Core;
using Microsoft.Extensions.Logging.Abstractions;
using SecureAoai.Client.Credentials;
using SecureAoai.Client.Credentials.Internal;
using SecureAoai.Client.Internal;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Diagnostics.Internal;

/// <summary>
/// The credential and token steps for one token scope: asks the chain the app would build for a
/// token once, names the credential that answered and reads the claims the endpoint judges. The
/// token is kept in memory for the data-plane calls and never appears in a step.
/// </summary>
/// <param name="chain">The app's credential chain, shared by the probes of every scope in use.</param>
/// <param name="scope">The scope, as the endpoints of this probe ask for it.</param>
/// <param name="scopeSetting">The setting the scope came from, such as <c>SecureOpenAI:Endpoints:0:Scope</c>.</param>
/// <param name="judgeAudience">
/// Whether an Azure OpenAI resource is sent this token, so its audience must be one Azure OpenAI
/// accepts; a gateway's audience is the one its policy names, which only the gateway can judge.
/// </param>
/// <param name="time">The clock a token's expiry is judged by.</param>
internal sealed class CredentialProbe(Lazy<CredentialChain> chain, string scope, string scopeSetting, bool judgeAudience, TimeProvider time)
{
    private const string TokenGiven = "The token the credential gave";

    private AccessToken? _token;

    /// <summary>The token the credential step obtained, or <see langword="null"/> before it succeeded.</summary>
    public string? Token => _token?.Token;

    /// <summary>The claims of <see cref="Token"/>, once the token step read them.</summary>
    public AccessTokenClaims? Claims { get; private set; }

    /// <summary>The chain the app would build from <paramref name="options"/>, built on first use.</summary>
    public static Lazy<CredentialChain> Chain(SecureOpenAICredentialOptions options, EndpointTrust trust, bool isDevelopment) => new(() =>
    {
        IReadOnlyList<NamedCredential> credentials = options.TokenCredential is { } custom
            ? [new NamedCredential(custom.GetType().Name, custom)]
            : CredentialChainFactory.Create(options, trust, isDevelopment);
        return new CredentialChain(credentials, NullLogger.Instance);
    });

    public async Task<StepOutcome> GetTokenAsync(CancellationToken cancellationToken)
    {
        var credentials = chain.Value;
        try
        {
            _token = await credentials.GetTokenAsync(new TokenRequestContext([scope]), cancellationToken).ConfigureAwait(false);
        }
        catch (CredentialChainException ex)
        {
            return ChainFailed(ex, credentials.Names);
        }

        var selected = credentials.SelectedName!;
        var passed = credentials.Names.TakeWhile(n => n != selected).ToArray();
        var after = passed.Length > 0 ? $", after {string.Join(", ", passed)} (not set up here)" : "";
        return StepOutcome.Ok($"{selected} gave a token for scope '{scope}' ({scopeSetting}){after}. Chain: {string.Join(" → ", credentials.Names)}.");
    }

    public StepOutcome ReadClaims()
    {
        var claims = Claims = AccessTokenClaims.FromAccessToken(Token!);
        if (claims is null)
        {
            return StepOutcome.Ok("The token is not a JWT whose claims can be read here; the data-plane step shows whether the resource accepts it.");
        }

        var now = time.GetUtcNow();
        var expiry = claims.ExpiresOn is { } expires
            ? string.Create(CultureInfo.InvariantCulture, $"{expires:u} ({(expires > now ? $"in {(expires - now).TotalMinutes:0} min" : "expired")})")
            : "(none)";
        var detail = $"audience {string.Join(", ", claims.Audiences.DefaultIfEmpty("(none)"))}, tenant {claims.TenantId ?? "(none)"}, " +
            $"object id {claims.ObjectId ?? "(none)"}, app id {claims.AppId ?? "(none)"}, expires {expiry}.";
        if (judgeAudience && !claims.HasAcceptedAudience)
        {
            return StepOutcome.Failed(detail, RefusalDiagnosis.WrongAudienceFix(claims, scope, TokenGiven, scopeSetting), scopeSetting);
        }

        if (claims.ExpiresOn is { } expired && expired <= now)
        {
            return StepOutcome.Failed(detail, RefusalDiagnosis.ExpiredFix(expired, now, TokenGiven));
        }

        return StepOutcome.Ok(detail);
    }

    /// <summary>What usually breaks each kind of credential, by the chain's own name for it.</summary>
    private static string HowToFix(string credential) => credential switch
    {
        "WorkloadIdentity" => "Entra ID refused the pod's federated token: the app registration's federated credential must name this cluster's OIDC issuer, the pod's service account as subject (system:serviceaccount:NAMESPACE:NAME) and the audience api://AzureADTokenExchange, and AZURE_CLIENT_ID must be that app's client id.",
        "ManagedIdentity" => "The host's identity endpoint did not give a token: the managed identity must be assigned to this VM, App Service or container app (for a user-assigned one, SecureOpenAI:Credential:ManagedIdentityClientId names it), and the identity endpoint must be reachable from here (IMDS at 169.254.169.254, or IDENTITY_ENDPOINT on App Service).",
        "AzureCli" or "AzureDeveloperCli" or "VisualStudio" => "The developer sign-in failed: sign in again ('az login' or 'azd auth login', with --tenant when the resource is in another tenant).",
        _ => "Fix that credential's settings.",
    };

    private static StepOutcome ChainFailed(CredentialChainException error, IReadOnlyList<string> chain)
    {
        var tried = string.Join("; ", error.Attempts.Select(a => $"{a.Name}: {(a.Unavailable ? "not set up here" : "failed")}: {CredentialChainException.Describe(a.Error)}"));
        var detail = $"No credential gave a token for scope '{error.Scope}'. Tried, in order: {tried}";
        if (error.Attempts.Count > 0 && error.Attempts[^1] is { Unavailable: false } failed)
        {
            return StepOutcome.Failed(
                detail,
                $"{failed.Name} is set up here but failed, so the chain stopped there rather than sign in as another identity. {HowToFix(failed.Name)} Or remove it from {SettingNames.CredentialSources}.",
                SettingNames.CredentialSources);
        }

        return StepOutcome.Failed(
            detail,
            $"No credential of the chain ({string.Join(" → ", chain)}) is set up here. On AKS, enable workload identity for the pod (the azure.workload.identity/use label and a service account annotated with the app's client id), which sets AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE; on App Service, Functions or Container Apps, turn on a managed identity; on a developer machine, sign in with 'az login' and run in Development or set SecureOpenAI:Credential:AllowDeveloperCredentials. Or list the sources this machine has in {SettingNames.CredentialSources}.",
            SettingNames.CredentialSources);
    }
}
