using Microsoft.Extensions.DependencyInjection;
using SecureAoai.Client;

namespace Microsoft.Extensions.Hosting;

/// <summary>Registers the secure OpenAI clients on an application builder.</summary>
public static class SecureOpenAIHostApplicationBuilderExtensions
{
    /// <summary>
    /// Registers the OpenAI clients from the <c>SecureOpenAI</c> configuration section (or
    /// <paramref name="sectionName"/>); see <see cref="SecureOpenAIServiceCollectionExtensions.AddSecureOpenAI(IServiceCollection, Microsoft.Extensions.Configuration.IConfiguration)"/>.
    /// </summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="sectionName">The configuration section. The default value is <c>SecureOpenAI</c>.</param>
    /// <returns>A builder for further configuration.</returns>
    public static SecureOpenAIBuilder AddSecureOpenAI(this IHostApplicationBuilder builder, string sectionName = SecureOpenAIOptions.SectionName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(sectionName);
        return builder.Services.AddSecureOpenAI(builder.Configuration.GetSection(sectionName));
    }
}
