using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using SecureAoai.Emulator;

namespace SecureAoai.IntegrationTests.Infrastructure;

/// <summary>
/// Two regions behind API Management, as Front Door would see them: gateway <c>apim-east</c> at
/// <c>/east/aoai</c> in front of instances east1 and east2, gateway <c>apim-west</c> at <c>/west-aoai</c>
/// in front of west1; with Entra ID each gateway validates tokens for its own audience, with keys each
/// has its own key and header. The app signs in with workload identity.
/// </summary>
public sealed class GatewayRig : IAsyncDisposable
{
    public const string EastAudience = "api://contoso-apim-east";
    public const string WestAudience = "api://contoso-apim-west";

    private readonly EmulatorFederation _federation;
    private readonly string _tokenFile;

    private GatewayRig(EmulatorServer emulator, EmulatorFederation federation, string tokenFile, bool entra)
    {
        Emulator = emulator;
        _federation = federation;
        _tokenFile = tokenFile;
        Entra = entra;
    }

    public EmulatorServer Emulator { get; }

    /// <summary>Whether the gateways want tokens (for their own audiences) rather than subscription keys.</summary>
    public bool Entra { get; }

    public EmulatorGateway East => Emulator.Gateway("apim-east");

    public EmulatorGateway West => Emulator.Gateway("apim-west");

    /// <summary>Starts the rig; <paramref name="configure"/> may add host names, change a gateway, before it starts.</summary>
    public static async Task<GatewayRig> StartAsync(bool entra, Action<EmulatorOptions>? configure = null)
    {
        var options = new EmulatorOptions();
        var identity = new EmulatorIdentity { ClientId = "cccccccc-0000-0000-0000-000000000001" };
        var federation = new EmulatorFederation { ClientId = identity.ClientId };
        options.Identities.Add(identity);
        options.Federations.Add(federation);
        foreach (var name in new[] { "east1", "east2", "west1" })
        {
            options.Instances.Add(new EmulatorInstanceOptions { Name = name });
        }

        options.Gateways.Add(Gateway("apim-east", "/east/aoai", EastAudience, EmulatorGatewayOptions.DefaultSubscriptionKeyHeader, entra, "east1", "east2"));
        options.Gateways.Add(Gateway("apim-west", "/west-aoai", WestAudience, "api-key", entra, "west1"));
        configure?.Invoke(options);
        var emulator = await EmulatorServer.StartAsync(options);
        var tokenFile = Path.Combine(Path.GetTempPath(), $"secureaoai-test-{Guid.NewGuid():N}.jwt");
        await File.WriteAllTextAsync(tokenFile, emulator.CreateFederatedToken(federation));
        return new GatewayRig(emulator, federation, tokenFile, entra);
    }

    /// <summary>The app's settings with the one <c>SecureOpenAI:Endpoint</c> at <paramref name="gateway"/> and its credential at the top level.</summary>
    public Dictionary<string, string?> SingleGateway(EmulatorGateway gateway)
    {
        var settings = Base();
        settings["SecureOpenAI:Endpoint"] = gateway.Endpoint.ToString();
        if (Entra)
        {
            settings["SecureOpenAI:Credential:Scope"] = gateway.Audience + "/.default";
        }
        else
        {
            settings["SecureOpenAI:AllowSubscriptionKey"] = "true";
            settings["SecureOpenAI:SubscriptionKey"] = gateway.SubscriptionKey;
            settings["SecureOpenAI:SubscriptionKeyHeader"] = gateway.SubscriptionKeyHeader;
        }

        return settings;
    }

    /// <summary>The app's settings with <paramref name="gateways"/> as failover endpoints, by priority, each with its own scope or key.</summary>
    public Dictionary<string, string?> Endpoints(params EmulatorGateway[] gateways)
    {
        var settings = Base();
        settings.Remove("SecureOpenAI:MaxRetries");
        if (!Entra)
        {
            settings["SecureOpenAI:AllowSubscriptionKey"] = "true";
        }

        for (var i = 0; i < gateways.Length; i++)
        {
            var at = $"SecureOpenAI:Endpoints:{i}";
            settings[$"{at}:Name"] = gateways[i].Name;
            settings[$"{at}:Uri"] = gateways[i].Endpoint.ToString();
            settings[$"{at}:Priority"] = (i + 1).ToString(CultureInfo.InvariantCulture);
            if (Entra)
            {
                settings[$"{at}:Scope"] = gateways[i].Audience + "/.default";
            }
            else
            {
                settings[$"{at}:SubscriptionKey"] = gateways[i].SubscriptionKey;
                settings[$"{at}:SubscriptionKeyHeader"] = gateways[i].SubscriptionKeyHeader;
            }
        }

        return settings;
    }

    internal static ServiceProvider Build(Dictionary<string, string?> settings) => SecureClients.Build(settings);

    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync();
        File.Delete(_tokenFile);
    }

    private static EmulatorGatewayOptions Gateway(string name, string prefix, string audience, string header, bool entra, params string[] backends)
    {
        var gateway = new EmulatorGatewayOptions
        {
            Name = name,
            PathPrefix = prefix,
            SubscriptionRequired = !entra,
            SubscriptionKeyHeader = header,
            Audience = entra ? audience : null,
        };
        gateway.Backends.AddRange(backends);
        return gateway;
    }

    private Dictionary<string, string?> Base()
    {
        var settings = SecureClients.WorkloadIdentity(Emulator, Emulator.Instances[0], _federation, _tokenFile);
        settings.Remove("SecureOpenAI:Endpoint");
        return settings;
    }
}
