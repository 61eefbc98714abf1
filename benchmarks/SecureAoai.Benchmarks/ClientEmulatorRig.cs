using System.Text.Json;
using SecureAoai.Emulator;

namespace SecureAoai.Benchmarks;

/// <summary>
/// The emulator the client benchmarks call, and what a client needs to reach it: started in this
/// process (the default), or already running in a process of its own (<c>emulator-host</c>), named by
/// the file in <see cref="Variable"/>. A separate emulator is the same warm server for every benchmark
/// process (benchmarks/client-pipeline.sh), so the server's JIT state does not differ between the raw
/// and the secured client's runs, and a benchmark's allocations are its client's alone.
/// </summary>
internal sealed class ClientEmulatorRig : IAsyncDisposable
{
    /// <summary>The environment variable naming an <c>emulator-host</c>'s rig file; unset: the emulator runs in this process.</summary>
    public const string Variable = "SECUREAOAI_BENCH_EMULATOR";

    private readonly EmulatorServer? _owned;
    private readonly bool _ownsTokenFile;

    private ClientEmulatorRig(Description description, EmulatorServer? owned, bool ownsTokenFile)
    {
        Endpoint = new Uri(description.Endpoint);
        CaCertificatePath = description.CaCertificatePath;
        TenantId = description.TenantId;
        ClientId = description.ClientId;
        AuthorityHost = new Uri(description.AuthorityHost);
        RawToken = description.RawToken;
        FederatedTokenFile = description.FederatedTokenFile;
        _owned = owned;
        _ownsTokenFile = ownsTokenFile;
    }

    /// <summary>The emulated resource's endpoint.</summary>
    public Uri Endpoint { get; }

    /// <summary>The PEM file of the emulator's CA, which the clients trust as a custom root.</summary>
    public string CaCertificatePath { get; }

    public string TenantId { get; }

    /// <summary>The workload identity's client id.</summary>
    public string ClientId { get; }

    /// <summary>The emulated Entra authority.</summary>
    public Uri AuthorityHost { get; }

    /// <summary>An Entra access token for the raw client, sent as its key (2 h).</summary>
    public string RawToken { get; }

    /// <summary>The federated token file the secured client's workload identity credential reads.</summary>
    public string FederatedTokenFile { get; }

    /// <summary>The rig named by <see cref="Variable"/>, or a new emulator in this process.</summary>
    public static async Task<ClientEmulatorRig> OpenAsync()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } file)
        {
            var description = JsonSerializer.Deserialize<Description>(await File.ReadAllTextAsync(file))
                ?? throw new InvalidOperationException($"{file} ({Variable}) holds no rig description.");
            return new ClientEmulatorRig(description, null, ownsTokenFile: false);
        }

        var (emulator, started) = await StartAsync();
        return new ClientEmulatorRig(started, emulator, ownsTokenFile: true);
    }

    /// <summary>
    /// Starts the emulator with one resource and one federated workload identity, and writes that
    /// identity's federated token to a file of its own.
    /// </summary>
    public static async Task<(EmulatorServer Emulator, Description Description)> StartAsync()
    {
        var options = new EmulatorOptions();
        var federation = new EmulatorFederation { ClientId = EmulatorOptions.DefaultClientId };
        options.Identities.Add(new EmulatorIdentity { ClientId = federation.ClientId });
        options.Federations.Add(federation);
        options.Instances.Add(new EmulatorInstanceOptions { Name = "eastus" });
        var emulator = await EmulatorServer.StartAsync(options);
        var tokenFile = Path.Combine(Path.GetTempPath(), $"secureaoai-bench-{Guid.NewGuid():N}.jwt");
        await File.WriteAllTextAsync(tokenFile, emulator.CreateFederatedToken(federation, TimeSpan.FromHours(2)));
        return (emulator, new Description(
            emulator.Instances[0].Endpoint.ToString(),
            emulator.CaCertificatePath,
            emulator.TenantId,
            federation.ClientId,
            emulator.AuthorityHost.ToString(),
            emulator.CreateAccessToken(federation.ClientId, lifetime: TimeSpan.FromHours(2)),
            tokenFile));
    }

    public async ValueTask DisposeAsync()
    {
        if (_owned is not null)
        {
            await _owned.DisposeAsync();
        }

        if (_ownsTokenFile)
        {
            File.Delete(FederatedTokenFile);
        }
    }

    /// <summary>The rig file's content: test tokens of a throwaway emulator CA, valid 2 h, never a real credential.</summary>
    internal sealed record Description(
        string Endpoint,
        string CaCertificatePath,
        string TenantId,
        string ClientId,
        string AuthorityHost,
        string RawToken,
        string FederatedTokenFile);
}
