using System.Text.Json;
using System.Text.Json.Nodes;
using SecureAoai.Client.Tests.Networking.Dns;
using SecureAoai.Emulator;

namespace SecureAoai.Cli.Tests.Doctor;

/// <summary>
/// What doctor meets in a deployment, on loopback: a real DNS server (dnsmasq) answering a privatelink
/// chain, the emulator behind those names (a resource that serves, one behind a firewall), its Entra
/// endpoint for workload identity (a federated token file for a principal with the role and one
/// without), and a second emulator as another tenant's authority.
/// </summary>
public sealed class DoctorEmulator : IAsyncLifetime
{
    /// <summary>Resolves through privatelink to 127.0.0.1, and the emulator's certificate names it.</summary>
    public const string PrivateHost = "aoai-east.openai.azure.com";

    /// <summary>Resolves through privatelink to a public address.</summary>
    public const string PublicHost = "aoai-public.openai.azure.com";

    /// <summary>Resolves to 127.0.0.1, but the emulator's certificate does not name it.</summary>
    public const string UncertifiedHost = "aoai-other.openai.azure.com";

    public const string ChatDeployment = "gpt-4o-mini";

    public static readonly EmulatorIdentity WithRole = new() { ClientId = "dddddddd-0000-0000-0000-000000000001" };
    public static readonly EmulatorIdentity WithoutRole = new() { ClientId = "dddddddd-0000-0000-0000-000000000002", HasOpenAIUserRole = false };

    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"secureaoai-doctor-{Guid.NewGuid():N}");

    public EmulatorServer Emulator { get; private set; } = null!;

    /// <summary>An emulator of another tenant: its tokens are well formed, for the right audience, and signed by a key the resource does not trust.</summary>
    public EmulatorServer OtherTenant { get; private set; } = null!;

    public DnsmasqFixture Dns { get; private set; } = null!;

    public EmulatorInstance Serving => Emulator["eastus"];

    public EmulatorInstance Firewalled => Emulator["westus"];

    public EmulatorFederation Federation { get; } = new() { ClientId = WithRole.ClientId };

    public EmulatorFederation FederationWithoutRole { get; } = new() { ClientId = WithoutRole.ClientId, Subject = "system:serviceaccount:dev:no-role" };

    public EmulatorFederation OtherTenantFederation { get; } = new() { ClientId = WithRole.ClientId };

    public string TokenFile => Path.Combine(_folder, "token.jwt");

    public string TokenFileWithoutRole => Path.Combine(_folder, "token-no-role.jwt");

    public string OtherTenantTokenFile => Path.Combine(_folder, "token-other-tenant.jwt");

    /// <summary>A federated token whose subject no federation trusts.</summary>
    public string UntrustedTokenFile => Path.Combine(_folder, "token-untrusted.jwt");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        // One CA for both emulators, so the app trusts the other tenant's authority as it would trust Entra.
        var options = new EmulatorOptions { CaDirectory = Path.Combine(_folder, "ca") };
        options.ServerHostNames.AddRange([PrivateHost, PublicHost]);
        options.Identities.AddRange([WithRole, WithoutRole]);
        options.Federations.AddRange([Federation, FederationWithoutRole]);
        options.Instances.Add(new EmulatorInstanceOptions { Name = "eastus" });
        var firewalled = new EmulatorInstanceOptions { Name = "westus" };
        firewalled.AllowedSourceCidrs.Add("10.0.0.0/8");
        options.Instances.Add(firewalled);
        Emulator = await EmulatorServer.StartAsync(options);

        var other = new EmulatorOptions { TenantId = "00000000-0000-0000-0000-0000000000bb", CaDirectory = options.CaDirectory };
        other.Identities.Add(new EmulatorIdentity { ClientId = WithRole.ClientId });
        other.Federations.Add(OtherTenantFederation);
        OtherTenant = await EmulatorServer.StartAsync(other);

        await File.WriteAllTextAsync(TokenFile, Emulator.CreateFederatedToken(Federation));
        await File.WriteAllTextAsync(TokenFileWithoutRole, Emulator.CreateFederatedToken(FederationWithoutRole));
        await File.WriteAllTextAsync(OtherTenantTokenFile, OtherTenant.CreateFederatedToken(OtherTenantFederation));
        await File.WriteAllTextAsync(UntrustedTokenFile, Emulator.CreateFederatedToken(new EmulatorFederation { ClientId = WithRole.ClientId, Subject = "system:serviceaccount:prod:intruder" }));

        Dns = await DnsmasqFixture.StartAsync(
        [
            "--local-ttl=60",
            "--local=/azure.com/",
            $"--cname={PrivateHost},aoai-east.privatelink.openai.azure.com",
            "--host-record=aoai-east.privatelink.openai.azure.com,127.0.0.1",
            $"--cname={PublicHost},aoai-public.privatelink.openai.azure.com",
            "--host-record=aoai-public.privatelink.openai.azure.com,20.1.2.3",
            $"--cname={UncertifiedHost},aoai-other.privatelink.openai.azure.com",
            "--host-record=aoai-other.privatelink.openai.azure.com,127.0.0.1",
        ]);
    }

    public async Task DisposeAsync()
    {
        await Dns.DisposeAsync();
        await OtherTenant.DisposeAsync();
        await Emulator.DisposeAsync();
        Directory.Delete(_folder, recursive: true);
    }

    /// <summary>
    /// The SecureOpenAI section of an app on AKS: workload identity at the emulator's Entra endpoint,
    /// the endpoint reached by name through the DNS server, the emulator's CA trusted, one chat deployment.
    /// </summary>
    public JsonObject Settings(string host = PrivateHost, EmulatorInstance? instance = null) => new()
    {
        ["Endpoint"] = $"https://{host}:{(instance ?? Serving).Port}/",
        ["TrustedCaCertificatePath"] = Emulator.CaCertificatePath,
        ["Network"] = new JsonObject { ["DnsServers"] = new JsonArray(Dns.Address) },
        ["Deployments"] = new JsonObject { ["chat"] = new JsonObject { ["Name"] = ChatDeployment } },
        ["Credential"] = new JsonObject
        {
            ["Sources"] = new JsonArray("WorkloadIdentity"),
            ["TenantId"] = Emulator.TenantId,
            ["ClientId"] = Federation.ClientId,
            ["FederatedTokenFile"] = TokenFile,
            ["AuthorityHost"] = Emulator.AuthorityHost.ToString(),
        },
    };

    /// <summary>Writes <paramref name="settings"/> as an appsettings file's SecureOpenAI section and runs <c>secureaoai doctor --config FILE</c> with <paramref name="args"/>.</summary>
    public async Task<DoctorRun> RunAsync(JsonObject settings, params string[] args)
    {
        var file = Path.Combine(_folder, $"appsettings-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, new JsonObject { ["SecureOpenAI"] = settings.DeepClone() }.ToJsonString());
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(["doctor", "--config", file, .. args], output, error);
        return new DoctorRun(exitCode, output.ToString(), error.ToString());
    }
}

/// <summary>One run of doctor: the exit code and what it printed.</summary>
public sealed record DoctorRun(int ExitCode, string Output, string Error)
{
    /// <summary>The steps of a <c>--json</c> run, by position.</summary>
    public IReadOnlyList<JsonElement> Steps
    {
        get
        {
            using var document = JsonDocument.Parse(Output);
            return [.. document.RootElement.GetProperty("steps").EnumerateArray().Select(s => s.Clone())];
        }
    }

    public JsonElement Root
    {
        get
        {
            using var document = JsonDocument.Parse(Output);
            return document.RootElement.Clone();
        }
    }

    /// <summary>Each step as "name:status", in order.</summary>
    public IReadOnlyList<string> Outline => [.. Steps.Select(s => $"{s.GetProperty("name").GetString()}:{s.GetProperty("status").GetString()}")];

    /// <summary>The one failed step.</summary>
    public JsonElement Failed => Assert.Single(Steps, s => s.GetProperty("status").GetString() == "failed");

    public override string ToString() => $"exit {ExitCode}{Environment.NewLine}{Output}{Environment.NewLine}{Error}";
}
