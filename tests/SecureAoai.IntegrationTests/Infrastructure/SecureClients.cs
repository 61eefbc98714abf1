using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SecureAoai.Emulator;

namespace SecureAoai.IntegrationTests.Infrastructure;

/// <summary>Builds the app side: AddSecureOpenAI from configuration, pointed at an emulator instance.</summary>
internal static class SecureClients
{
    public const string ChatDeployment = "gpt-4o-mini";
    public const string EmbeddingDeployment = "text-embedding-3-small";

    public static Dictionary<string, string?> Settings(EmulatorServer emulator, EmulatorInstance instance) => new()
    {
        ["SecureOpenAI:Endpoint"] = instance.Endpoint.ToString(),
        ["SecureOpenAI:TrustedCaCertificatePath"] = emulator.CaCertificatePath,
        ["SecureOpenAI:MaxRetries"] = "0",
        ["SecureOpenAI:Deployments:chat:Name"] = ChatDeployment,
        ["SecureOpenAI:Deployments:embeddings:Name"] = EmbeddingDeployment,
        ["SecureOpenAI:Deployments:embeddings:Kind"] = "Embedding",
    };

    /// <summary>Settings for workload identity against the emulator's Entra endpoint; no environment variables needed.</summary>
    public static Dictionary<string, string?> WorkloadIdentity(EmulatorServer emulator, EmulatorInstance instance, EmulatorFederation federation, string tokenFile)
    {
        var settings = Settings(emulator, instance);
        settings["SecureOpenAI:Credential:Sources:0"] = "WorkloadIdentity";
        settings["SecureOpenAI:Credential:TenantId"] = emulator.TenantId;
        settings["SecureOpenAI:Credential:ClientId"] = federation.ClientId;
        settings["SecureOpenAI:Credential:FederatedTokenFile"] = tokenFile;
        settings["SecureOpenAI:Credential:AuthorityHost"] = emulator.AuthorityHost.ToString();
        return settings;
    }

    /// <summary>The app with its credential given in code (<c>UseCredential</c>) instead of configured.</summary>
    public static ServiceProvider Build(Dictionary<string, string?> settings, Azure.Core.TokenCredential credential)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI")).UseCredential(credential);
        return services.BuildServiceProvider();
    }

    /// <summary>The app's services; <paramref name="time"/> replaces the system clock for the SDK (cooldowns, timeouts, breaker).</summary>
    public static ServiceProvider Build(Dictionary<string, string?> settings, ILoggerProvider? logs = null, TimeProvider? time = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddLogging(logging =>
        {
            logging.SetMinimumLevel(LogLevel.Trace);
            if (logs is not null)
            {
                logging.AddProvider(logs);
            }
        });
        if (time is not null)
        {
            services.AddSingleton(time);
        }

        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI"));
        return services.BuildServiceProvider();
    }
}
