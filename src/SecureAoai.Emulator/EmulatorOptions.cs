using System.Security.Cryptography;

namespace SecureAoai.Emulator;

/// <summary>Settings of an <see cref="EmulatorServer"/>.</summary>
/// <example>
/// <code>
/// var options = new EmulatorOptions();
/// options.Instances.Add(new EmulatorInstanceOptions { Name = "eastus", KeyAuthEnabled = true });
/// await using var server = await EmulatorServer.StartAsync(options);
/// </code>
/// </example>
public sealed class EmulatorOptions
{
    /// <summary>The client id of the identity added when <see cref="Identities"/> is empty.</summary>
    public const string DefaultClientId = "11111111-1111-1111-1111-111111111111";

    /// <summary>
    /// The folder holding the test CA (<c>ca.pem</c>, and <c>ca.key</c> created with owner-only
    /// permissions). A valid CA found there is reused; otherwise one is generated there. The default
    /// value is <see langword="null"/>: a fresh temporary folder, deleted when the server is disposed.
    /// </summary>
    public string? CaDirectory { get; set; }

    /// <summary>
    /// The emulated Azure OpenAI resources. The default value is empty; when still empty at start,
    /// one default instance named <c>eastus</c> is added.
    /// </summary>
    public List<EmulatorInstanceOptions> Instances { get; } = new();

    /// <summary>
    /// Emulated API Management gateways in front of the instances, each on its own listener. The
    /// default value is empty: no gateway.
    /// </summary>
    public List<EmulatorGatewayOptions> Gateways { get; } = new();

    /// <summary>The lifetime of the access tokens the token service issues. The default value is 1 hour.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The Entra tenant id written to tokens and expected in authority paths. The default value is <c>00000000-0000-0000-0000-0000000000aa</c>.</summary>
    public string TenantId { get; set; } = "00000000-0000-0000-0000-0000000000aa";

    /// <summary>
    /// The principals the token service issues tokens for; the first one answers managed-identity
    /// requests that name no identity (the "system-assigned" identity). The default value is empty;
    /// when still empty at start, one identity with client id <see cref="DefaultClientId"/> and the
    /// OpenAI user role is added.
    /// </summary>
    public List<EmulatorIdentity> Identities { get; } = new();

    /// <summary>
    /// The workload identity federations the Entra token endpoint accepts. The default value is
    /// empty; when still empty at start, one default <see cref="EmulatorFederation"/> is added.
    /// </summary>
    public List<EmulatorFederation> Federations { get; } = new();

    /// <summary>
    /// The secret the App Service style endpoint expects in <c>X-IDENTITY-HEADER</c> (the value of
    /// <c>IDENTITY_HEADER</c>). The default value is 32 random hex characters, new per options object.
    /// </summary>
    public string AppServiceIdentityHeader { get; set; } = RandomNumberGenerator.GetHexString(32, lowercase: true);

    /// <summary>
    /// The clock of rate-limit windows, injected latency and gateways' circuit breakers (not of token lifetimes, which are
    /// checked against the system clock). Tests pass a <c>FakeTimeProvider</c> to move through a
    /// window without waiting. The default value is <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Host names the server certificate covers besides <c>localhost</c>, 127.0.0.1 and ::1, such as
    /// <c>aoai-east.openai.azure.com</c> when a test DNS server points that name at the emulator.
    /// The default value is empty.
    /// </summary>
    public List<string> ServerHostNames { get; } = new();

    /// <summary>
    /// Receives one line per request served (instance, method, path, status) with no header values,
    /// tokens or bodies. The default value is <see langword="null"/>: nothing is logged.
    /// </summary>
    internal Action<string>? RequestLog { get; set; }
}
