using Microsoft.Extensions.DependencyInjection;
using SecureAoai.Emulator;

namespace SecureAoai.IntegrationTests.Infrastructure;

/// <summary>
/// Three emulated resources (east, west, north: priorities 1, 2, 3) behind one token service, and
/// the settings for an app failing over between them with workload identity.
/// </summary>
internal sealed class FailoverRig : IAsyncDisposable
{
    public static readonly string[] Names = ["east", "west", "north"];

    private readonly string _tokenFile;
    private readonly EmulatorFederation _federation;

    private FailoverRig(EmulatorServer emulator, EmulatorFederation federation, string tokenFile)
    {
        Emulator = emulator;
        _federation = federation;
        _tokenFile = tokenFile;
    }

    public EmulatorServer Emulator { get; }

    public EmulatorInstance East => Emulator["east"];

    public EmulatorInstance West => Emulator["west"];

    public EmulatorInstance North => Emulator["north"];

    public int TotalRequests => Emulator.Instances.Sum(i => i.RequestCount);

    public static async Task<FailoverRig> StartAsync(Action<EmulatorInstanceOptions>? configure = null)
    {
        var options = new EmulatorOptions();
        var identity = new EmulatorIdentity { ClientId = "bbbbbbbb-0000-0000-0000-000000000001" };
        var federation = new EmulatorFederation { ClientId = identity.ClientId };
        options.Identities.Add(identity);
        options.Federations.Add(federation);
        foreach (var name in Names)
        {
            var instance = new EmulatorInstanceOptions { Name = name };
            configure?.Invoke(instance);
            options.Instances.Add(instance);
        }

        var emulator = await EmulatorServer.StartAsync(options);
        var tokenFile = Path.Combine(Path.GetTempPath(), $"secureaoai-test-{Guid.NewGuid():N}.jwt");
        await File.WriteAllTextAsync(tokenFile, emulator.CreateFederatedToken(federation));
        return new FailoverRig(emulator, federation, tokenFile);
    }

    /// <summary>Settings with the three endpoints; <paramref name="prefix"/> makes endpoint names unique to a test's metrics.</summary>
    public Dictionary<string, string?> Settings(string prefix = "")
    {
        var settings = SecureClients.WorkloadIdentity(Emulator, East, _federation, _tokenFile);
        settings.Remove("SecureOpenAI:Endpoint");
        settings.Remove("SecureOpenAI:MaxRetries");
        for (var i = 0; i < Names.Length; i++)
        {
            settings[$"SecureOpenAI:Endpoints:{i}:Name"] = prefix + Names[i];
            settings[$"SecureOpenAI:Endpoints:{i}:Uri"] = Emulator[Names[i]].Endpoint.ToString();
            settings[$"SecureOpenAI:Endpoints:{i}:Priority"] = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return settings;
    }

    public static ServiceProvider Build(Dictionary<string, string?> settings, TimeProvider? time = null) => SecureClients.Build(settings, time: time);

    public async ValueTask DisposeAsync()
    {
        await Emulator.DisposeAsync();
        File.Delete(_tokenFile);
    }
}
