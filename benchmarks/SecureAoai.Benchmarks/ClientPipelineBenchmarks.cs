using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using SecureAoai.Emulator;

namespace SecureAoai.Benchmarks;

/// <summary>
/// One chat completion against the same emulator: the raw OpenAI client (a fixed bearer token, no extras) as the
/// baseline, and the same call through AddSecureOpenAI (Entra token cached, resolver verdict cached,
/// one healthy endpoint behind the failover handler).
/// </summary>
public class ClientPipelineBenchmarks
{
    private readonly List<ChatMessage> _messages = [new UserChatMessage("how fast is the pipeline")];
    private EmulatorServer _emulator = null!;
    private ServiceProvider _provider = null!;
    private HttpClient _rawHttp = null!;
    private ChatClient _raw = null!;
    private ChatClient _secure = null!;
    private string _tokenFile = null!;

    /// <summary>The emulator both clients call (for the pipeline-probe diagnostic).</summary>
    internal EmulatorServer Emulator => _emulator;

    /// <summary>The service provider AddSecureOpenAI registered in.</summary>
    internal IServiceProvider Services => _provider;

    /// <summary>The raw client's bearer token.</summary>
    internal string RawToken { get; private set; } = null!;

    // Synchronous wrappers: the in-process toolchain of --quick does not await async setup.
    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        var options = new EmulatorOptions();
        var federation = new EmulatorFederation { ClientId = EmulatorOptions.DefaultClientId };
        options.Identities.Add(new EmulatorIdentity { ClientId = federation.ClientId });
        options.Federations.Add(federation);
        options.Instances.Add(new EmulatorInstanceOptions { Name = "eastus" });
        _emulator = await EmulatorServer.StartAsync(options);
        var instance = _emulator.Instances[0];

        // Raw: the OpenAI client with a key, trusting the emulator's CA by a custom root (not by
        // turning validation off).
        var ca = _emulator.CaCertificate;
        _rawHttp = new HttpClient(new SocketsHttpHandler
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
        // The OpenAI client sends an ApiKeyCredential as "Authorization: Bearer": given an Entra token
        // from the emulator, the server does the same token check for both clients.
        var token = _emulator.CreateAccessToken(federation.ClientId, lifetime: TimeSpan.FromHours(2));
        RawToken = token;
        _raw = new ChatClient("gpt-4o-mini", new ApiKeyCredential(token), new OpenAIClientOptions
        {
            Endpoint = new Uri(instance.Endpoint, "openai/v1/"),
            Transport = new HttpClientPipelineTransport(_rawHttp),
        });

        _tokenFile = Path.Combine(Path.GetTempPath(), $"secureaoai-bench-{Guid.NewGuid():N}.jwt");
        await File.WriteAllTextAsync(_tokenFile, _emulator.CreateFederatedToken(federation));
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["SecureOpenAI:Endpoint"] = instance.Endpoint.ToString(),
            ["SecureOpenAI:TrustedCaCertificatePath"] = _emulator.CaCertificatePath,
            ["SecureOpenAI:Deployments:chat:Name"] = "gpt-4o-mini",
            ["SecureOpenAI:Credential:Sources:0"] = "WorkloadIdentity",
            ["SecureOpenAI:Credential:TenantId"] = _emulator.TenantId,
            ["SecureOpenAI:Credential:ClientId"] = federation.ClientId,
            ["SecureOpenAI:Credential:FederatedTokenFile"] = _tokenFile,
            ["SecureOpenAI:Credential:AuthorityHost"] = _emulator.AuthorityHost.ToString(),
        }).Build();
        var services = new ServiceCollection().AddLogging();
        services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI"));
        _provider = services.BuildServiceProvider();
        _secure = _provider.GetRequiredService<ChatClient>();

        // Warm both: connections open, token cached, verdict cached.
        await _raw.CompleteChatAsync(_messages);
        await _secure.CompleteChatAsync(_messages);
    }

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task CleanupAsync()
    {
        await _provider.DisposeAsync();
        _rawHttp.Dispose();
        await _emulator.DisposeAsync();
        File.Delete(_tokenFile);
    }

    [Benchmark(Baseline = true, Description = "raw OpenAI client")]
    public Task<ClientResult<ChatCompletion>> Raw() => _raw.CompleteChatAsync(_messages);

    [Benchmark(Description = "through AddSecureOpenAI")]
    public Task<ClientResult<ChatCompletion>> Secure() => _secure.CompleteChatAsync(_messages);
}
