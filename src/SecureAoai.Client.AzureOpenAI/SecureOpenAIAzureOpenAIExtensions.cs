using Azure.AI.OpenAI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using SecureAoai.Client;
using SecureAoai.Client.AzureOpenAI.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Azure.AI.OpenAI's <see cref="AzureOpenAIClient"/> on the pipeline <c>AddSecureOpenAI</c> secures.</summary>
public static class SecureOpenAIAzureOpenAIExtensions
{
    /// <summary>
    /// Registers an <see cref="AzureOpenAIClient"/> (a singleton) that sends through the same secured
    /// path as the OpenAI clients <c>AddSecureOpenAI</c> registers: each attempt authenticated for the
    /// endpoint failover chose (a token from the one cache of its scope, or its allowed API or
    /// subscription key; the client fetches no credential of its own), the network policy and connection pinning,
    /// the connector, failover between the configured endpoints (with each endpoint's deployment
    /// names), and refusals explained as <see cref="SecureOpenAIException"/>. It addresses the
    /// first endpoint of the best priority; call <c>GetChatClient("DEPLOYMENT")</c> with the
    /// deployment's name there, as existing code does.
    /// </summary>
    /// <param name="builder">The builder <c>AddSecureOpenAI</c> returned.</param>
    /// <param name="configure">
    /// Changes the client's options, such as <c>UserAgentApplicationId</c> or policies to add.
    /// Applied before the pipeline is made, which then sets <c>Transport</c>, <c>RetryPolicy</c>
    /// (none: failover is the only layer that retries) and <c>NetworkTimeout</c> and ignores
    /// <c>Audience</c> (a token's scope is the endpoint's <c>Scope</c>, else <c>SecureOpenAI:Credential:Scope</c>). The default
    /// value is <see langword="null"/>: Azure.AI.OpenAI's defaults.
    /// </param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <example>
    /// <code>
    /// builder.AddSecureOpenAI().AddAzureOpenAIClient();
    /// app.MapPost("/ask", async (AzureOpenAIClient azure, string q) =>
    ///     (await azure.GetChatClient("gpt-4o-mini").CompleteChatAsync(q)).Value.Content[0].Text);
    /// </code>
    /// </example>
    public static SecureOpenAIBuilder AddAzureOpenAIClient(this SecureOpenAIBuilder builder, Action<AzureOpenAIClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return Add(builder, () => new AzureOpenAIClientOptions(), configure);
    }

    /// <summary>
    /// As <see cref="AddAzureOpenAIClient(SecureOpenAIBuilder, Action{AzureOpenAIClientOptions}?)"/>,
    /// with the data-plane API version the client speaks.
    /// </summary>
    /// <param name="builder">The builder <c>AddSecureOpenAI</c> returned.</param>
    /// <param name="version">The API version, sent as <c>api-version</c>.</param>
    /// <param name="configure">Changes the client's options; see the other overload. The default value is <see langword="null"/>.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static SecureOpenAIBuilder AddAzureOpenAIClient(this SecureOpenAIBuilder builder, AzureOpenAIClientOptions.ServiceVersion version, Action<AzureOpenAIClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return Add(builder, () => new AzureOpenAIClientOptions(version), configure);
    }

    private static SecureOpenAIBuilder Add(SecureOpenAIBuilder builder, Func<AzureOpenAIClientOptions> create, Action<AzureOpenAIClientOptions>? configure)
    {
        builder.Services.TryAddSingleton<AzureOpenAIClient>(sp =>
        {
            var options = create();
            configure?.Invoke(options);
            return SecuredAzureOpenAIClient.Create(sp.GetRequiredService<SecureOpenAIPipeline>(), options);
        });
        return builder;
    }
}
