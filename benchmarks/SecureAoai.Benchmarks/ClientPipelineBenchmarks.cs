using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;

namespace SecureAoai.Benchmarks;

/// <summary>
/// One chat completion against the same emulator: the raw OpenAI client (a fixed bearer token, no extras) as the
/// baseline, and the same call through AddSecureOpenAI (Entra token cached, resolver verdict cached,
/// one healthy endpoint behind the failover handler).
/// </summary>
public class ClientPipelineBenchmarks
{
    private readonly List<ChatMessage> _messages = [new UserChatMessage("how fast is the pipeline")];
    private ClientEmulatorRig _rig = null!;
    private ServiceProvider _provider = null!;
    private HttpClient _rawHttp = null!;
    private X509Certificate2 _ca = null!;
    private ChatClient _raw = null!;
    private ChatClient _secure = null!;

    /// <summary>The environment variable that sets how many rounds of the pair to run (1 when unset).</summary>
    public const string RoundsVariable = "SECUREAOAI_BENCH_ROUNDS";

    /// <summary>
    /// A repetition number, nothing else: BenchmarkDotNet runs every benchmark of one parameter value
    /// before the next value, so with N rounds the raw and the secured client take turns (raw, secured,
    /// raw, secured, ...), each in a process of its own, and each round's ratio compares two runs made one
    /// after the other. On a machine whose speed drifts over minutes, that pairs them as closely as
    /// separate processes can be.
    /// </summary>
    [ParamsSource(nameof(Rounds))]
    public int Round { get; set; }

    public static IEnumerable<int> Rounds() =>
        Enumerable.Range(1, int.TryParse(Environment.GetEnvironmentVariable(RoundsVariable), out var rounds) && rounds > 0 ? rounds : 1);

    /// <summary>The emulator both clients call (for the pipeline-probe diagnostic).</summary>
    internal ClientEmulatorRig Rig => _rig;

    /// <summary>The service provider AddSecureOpenAI registered in.</summary>
    internal IServiceProvider Services => _provider;

    /// <summary>The raw client's HttpClient (plain sockets, the emulator's CA trusted).</summary>
    internal HttpClient RawHttp => _rawHttp;

    /// <summary>The raw client's bearer token.</summary>
    internal string RawToken => _rig.RawToken;

    // Synchronous wrappers: the in-process toolchain of --quick does not await async setup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        // In this process, or the emulator-host named by SECUREAOAI_BENCH_EMULATOR.
        _rig = await ClientEmulatorRig.OpenAsync();
        _ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(_rig.CaCertificatePath));
        _rawHttp = RawHttpClient(_ca);

        // The OpenAI client sends an ApiKeyCredential as "Authorization: Bearer": given an Entra token
        // from the emulator, the server does the same token check for both clients.
        _raw = RawChatClient(_rig.Endpoint, _rig.RawToken, _rawHttp);

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SecureOpenAI:Endpoint"] = _rig.Endpoint.ToString(),
            ["SecureOpenAI:TrustedCaCertificatePath"] = _rig.CaCertificatePath,
            ["SecureOpenAI:Deployments:chat:Name"] = "gpt-4o-mini",
            ["SecureOpenAI:Credential:Sources:0"] = "WorkloadIdentity",
            ["SecureOpenAI:Credential:TenantId"] = _rig.TenantId,
            ["SecureOpenAI:Credential:ClientId"] = _rig.ClientId,
            ["SecureOpenAI:Credential:FederatedTokenFile"] = _rig.FederatedTokenFile,
            ["SecureOpenAI:Credential:AuthorityHost"] = _rig.AuthorityHost.ToString(),
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI"));
        _provider = services.BuildServiceProvider();
        _secure = _provider.GetRequiredService<ChatClient>();

        // Warm both: connections open, token cached, verdict cached.
        await _raw.CompleteChatAsync(_messages);
        await _secure.CompleteChatAsync(_messages);
    }

    /// <summary>The raw OpenAI client with <paramref name="token"/> as its key, on <paramref name="http"/>.</summary>
    internal static ChatClient RawChatClient(Uri endpoint, string token, HttpClient http) =>
        new("gpt-4o-mini", new ApiKeyCredential(token), new OpenAIClientOptions
        {
            Endpoint = new Uri(endpoint, "openai/v1/"),
            Transport = new HttpClientPipelineTransport(http),
        });

    /// <summary>
    /// The raw client's HttpClient: plain sockets, trusting the emulator's CA as a custom root (not by
    /// turning validation off).
    /// </summary>
    internal static HttpClient RawHttpClient(X509Certificate2 ca) => new(new SocketsHttpHandler
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                if (errors == SslPolicyErrors.None)
                {
                    return true;
                }

                if (errors != SslPolicyErrors.RemoteCertificateChainErrors || certificate is null)
                {
                    return false;
                }

                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(new X509Certificate2(certificate));
            },
        },
    });

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        await _provider.DisposeAsync();
        _rawHttp.Dispose();
        _ca.Dispose();
        await _rig.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "raw OpenAI client")]
    public Task<ClientResult<ChatCompletion>> Raw() => _raw.CompleteChatAsync(_messages);

    [Benchmark(Description = "through AddSecureOpenAI")]
    public Task<ClientResult<ChatCompletion>> Secure() => _secure.CompleteChatAsync(_messages);
}
