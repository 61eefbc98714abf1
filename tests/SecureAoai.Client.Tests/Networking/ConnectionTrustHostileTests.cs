using System.ClientModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using OpenAI.Chat;
using SecureAoai.Client.Networking.Internal.Dns;
using SecureAoai.Client.Tests.Networking.Dns;

namespace SecureAoai.Client.Tests.Networking;

/// <summary>
/// The emulator CA (TrustedCaCertificatePath) is honoured by the address a connection actually reached,
/// and an endpoint's redirect is never followed: through AddSecureOpenAI, against TLS servers on loopback.
/// </summary>
public sealed class ConnectionTrustHostileTests
{
    private const string Host = "aoai-east.openai.azure.com";
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        settings["SecureOpenAI:ApiKey"] = "test-key-0000";
        settings["SecureOpenAI:AllowApiKey"] = "true";
        settings["SecureOpenAI:MaxRetries"] = "0";
        settings["SecureOpenAI:Deployments:chat:Name"] = "gpt-4o-mini";
        var services = new ServiceCollection().AddLogging();
        services.AddSecureOpenAI(new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("SecureOpenAI"));
        services.AddHealthChecks().AddSecureOpenAI();
        return services.BuildServiceProvider();
    }

    [Fact]
    public async Task CompleteChat_NewestAnswerNotAllLoopbackWhileConnectedToLoopback_TrustFollowsTheConnectedAddress()
    {
        using var certificates = new TestCertificates();
        await using var server = new TlsTestServer(certificates.Server(Host)) { HoldHandshake = new(TaskCreationOptions.RunContinuationsAsynchronously) };
        string[] answer = ["127.0.0.1"];
        const uint Ttl = 1;
        await using var dns = ScriptedDnsServer.Start((id, question, _) =>
            [DnsResponseBuilder.Response(id, question, question.Type == DnsRecordType.A ? Volatile.Read(ref answer).Select(a => TestRecord.A(Host, a, Ttl)) : [])]);
        using var provider = Build(new()
        {
            ["SecureOpenAI:Endpoint"] = $"https://{Host}:{server.Port}/",
            ["SecureOpenAI:TrustedCaCertificatePath"] = certificates.CaPath,
            ["SecureOpenAI:Network:DnsServers:0"] = dns.EndPoint.ToString(),
        });

        var call = provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("hello")]);
        await server.Accepted.Task.WaitAsync(Guard);

        // While the handshake waits, the name's newest answer adds a private address: the connection
        // itself still goes to 127.0.0.1, and so it stays (the address is still vouched for).
        Volatile.Write(ref answer, ["127.0.0.1", "10.1.2.3"]);
        await Task.Delay(TimeSpan.FromSeconds(Ttl) + TimeSpan.FromMilliseconds(500)); // the first answer's TTL has run out
        var health = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Contains("10.1.2.3", health.Entries["secureopenai-network"].Description, StringComparison.Ordinal);
        server.HoldHandshake.SetResult();

        var result = await call.WaitAsync(Guard);

        Assert.Equal("ok", result.Value.Content[0].Text);
        Assert.Single(server.Requests);
    }

    [Fact]
    public async Task CompleteChat_EndpointRedirectsToAnotherEndpoint_NotFollowedAndSaysSo()
    {
        using var certificates = new TestCertificates();
        await using var east = new TlsTestServer(certificates.Server("localhost")) { Status = "302 Found", Body = "" };
        await using var west = new TlsTestServer(certificates.Server("localhost"));
        east.Headers["Location"] = $"https://127.0.0.1:{west.Port}/openai/v1/chat/completions";
        using var provider = Build(new()
        {
            ["SecureOpenAI:Endpoints:0:Name"] = "east",
            ["SecureOpenAI:Endpoints:0:Uri"] = $"https://localhost:{east.Port}/",
            ["SecureOpenAI:Endpoints:0:Priority"] = "1",
            ["SecureOpenAI:Endpoints:1:Name"] = "west",
            ["SecureOpenAI:Endpoints:1:Uri"] = $"https://127.0.0.1:{west.Port}/",
            ["SecureOpenAI:Endpoints:1:Priority"] = "2",
            ["SecureOpenAI:TrustedCaCertificatePath"] = certificates.CaPath,
        });

        var error = await Assert.ThrowsAnyAsync<ClientResultException>(() => provider.GetRequiredService<ChatClient>().CompleteChatAsync([new UserChatMessage("hello")]));

        // The api-key header would have gone with a followed redirect: nothing reached the other host.
        Assert.Empty(west.Requests);
        Assert.Single(east.Requests);
        Assert.Contains("302", error.Message, StringComparison.Ordinal);
        Assert.Contains("redirect", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"127.0.0.1:{west.Port}", error.Message, StringComparison.Ordinal);
    }
}
