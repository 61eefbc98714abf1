using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using SecureAoai.Client.Diagnostics.Internal;
using SecureAoai.Client.Internal;
using SecureAoai.Client.Networking.Internal;

namespace SecureAoai.Client.Diagnostics;

/// <summary>
/// Checks, in order, each way an app's path to Azure OpenAI fails in real deployments, and stops at
/// the first failure with its fix: the endpoint's DNS answer and network policy, TLS to the verified
/// address, the credential chain, the token's claims, and one harmless data-plane call (the models
/// list, plus each configured deployment). Used by <c>secureaoai doctor</c>.
/// </summary>
/// <example>
/// <code>
/// var options = configuration.GetSection("SecureOpenAI").Get&lt;SecureOpenAIOptions&gt;()!;
/// var report = await SecureOpenAIDiagnostics.RunAsync(options);
/// if (report.Failure is { } failed) Console.WriteLine($"{failed.Check}: {failed.Detail} {failed.Fix}");
/// </code>
/// </example>
public static class SecureOpenAIDiagnostics
{
    /// <summary>
    /// Runs the checks for every configured endpoint. Nothing the checks learn is cached or shared
    /// with an app's clients; tokens and keys are held in memory only for the calls and never appear
    /// in the report.
    /// </summary>
    /// <param name="options">The settings to check, as <c>AddSecureOpenAI</c> would use them; validated by the same rules first.</param>
    /// <param name="environment">The app's environment: developer credentials count in Development only, as in the app. The default value is <see langword="null"/>: Production.</param>
    /// <param name="timeProvider">The clock a token's expiry is judged by. The default value is <see langword="null"/>: the system clock.</param>
    /// <param name="cancellationToken">Cancels the checks.</param>
    /// <returns>The report; a failed check is a step with <see cref="SecureOpenAIDiagnosticStatus.Failed"/>, not an exception.</returns>
    /// <exception cref="ArgumentException"><paramref name="options"/> breaks a rule; the message names each setting and its fix.</exception>
    public static async Task<SecureOpenAIDiagnosticReport> RunAsync(
        SecureOpenAIOptions options,
        IHostEnvironment? environment = null,
        TimeProvider? timeProvider = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        EndpointTrust trust;
        try
        {
            trust = EndpointTrust.FromOptions(options.TrustedCaCertificatePath);
        }
        catch (InvalidOperationException ex)
        {
            throw new ArgumentException(ex.Message, nameof(options), ex);
        }

        using var run = new DiagnosticRun(options, trust, environment?.IsDevelopment() ?? false, timeProvider ?? TimeProvider.System);
        return await run.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void Validate(SecureOpenAIOptions options)
    {
        var failures = new List<string>();
        foreach (var validator in (IValidateOptions<SecureOpenAIOptions>[])[new SecureOpenAIOptionsAttributeValidator(), new SecureOpenAIOptionsValidator()])
        {
            if (validator.Validate(Options.DefaultName, options) is { Failed: true } result)
            {
                failures.AddRange(result.Failures);
            }
        }

        if (failures.Count > 0)
        {
            throw new ArgumentException(string.Join(Environment.NewLine, failures), nameof(options));
        }
    }
}
