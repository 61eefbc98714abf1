using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Time.Testing;
using SecureAoai.Client;
using SecureAoai.Client.Diagnostics;
using SecureAoai.Client.Networking;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>
/// <see cref="SecureOpenAIDiagnostics"/>, the library API behind <c>secureaoai doctor</c>, called as
/// an app would call it: options in code, a credential or connector of the app's own.
/// </summary>
public sealed class DoctorDiagnosticsTests(WorkloadIdentityEmulator fixture) : IClassFixture<WorkloadIdentityEmulator>
{
    private static readonly SecureOpenAIDiagnosticCheck[] Plan =
    [
        SecureOpenAIDiagnosticCheck.Network, SecureOpenAIDiagnosticCheck.Tls, SecureOpenAIDiagnosticCheck.Credential,
        SecureOpenAIDiagnosticCheck.Token, SecureOpenAIDiagnosticCheck.DataPlane, SecureOpenAIDiagnosticCheck.Deployment, SecureOpenAIDiagnosticCheck.Deployment,
    ];

    private SecureOpenAIOptions Options()
    {
        var options = new SecureOpenAIOptions();
        new ConfigurationBuilder().AddInMemoryCollection(fixture.Settings()).Build().GetSection(SecureOpenAIOptions.SectionName).Bind(options);
        return options;
    }

    [Fact]
    public async Task RunAsync_WorkloadIdentityAgainstEmulator_EveryStepOkForEachDeployment()
    {
        var report = await SecureOpenAIDiagnostics.RunAsync(Options());

        Assert.True(report.IsHealthy, string.Join(Environment.NewLine, report.Steps.Select(s => $"{s.Check} {s.Status}: {s.Detail}")));
        Assert.Equal(Plan, report.Steps.Select(s => s.Check));
        Assert.Null(report.Failure);
        Assert.Equal([SecureClients.ChatDeployment, SecureClients.EmbeddingDeployment], report.Steps.Where(s => s.Deployment is not null).Select(s => s.Deployment));
        Assert.NotNull(report.Steps[0].Network);
        Assert.All(report.Steps, s => Assert.Null(s.Fix));
    }

    [Fact]
    public async Task RunAsync_AppsCredentialGivesAnExpiredToken_FailsAtTokenBeforeAnyDataPlaneCall()
    {
        var options = Options();
        options.Credential.TokenCredential = new MintingCredential(_ => fixture.Emulator.CreateAccessToken(WorkloadIdentityEmulator.WithRole.ClientId, lifetime: TimeSpan.FromMinutes(-5)));
        var requests = fixture.Instance.RequestCount;

        var report = await SecureOpenAIDiagnostics.RunAsync(options);

        var failed = Assert.IsType<SecureOpenAIDiagnosticStep>(report.Failure);
        Assert.Equal(SecureOpenAIDiagnosticCheck.Token, failed.Check);
        Assert.Contains("had expired", failed.Fix, StringComparison.Ordinal);
        Assert.Contains("MintingCredential gave a token", report.Steps[2].Detail, StringComparison.Ordinal);
        Assert.All(report.Steps.Skip(4), s => Assert.Equal(SecureOpenAIDiagnosticStatus.Skipped, s.Status));
        Assert.Equal(requests, fixture.Instance.RequestCount);
    }

    [Fact]
    public async Task RunAsync_ClockPastTheTokensExpiry_FailsAtTokenSayingToCheckTheClock()
    {
        var later = new FakeTimeProvider(DateTimeOffset.UtcNow + TimeSpan.FromHours(2));

        var report = await SecureOpenAIDiagnostics.RunAsync(Options(), timeProvider: later);

        var failed = Assert.IsType<SecureOpenAIDiagnosticStep>(report.Failure);
        Assert.Equal(SecureOpenAIDiagnosticCheck.Token, failed.Check);
        Assert.Contains("check this machine's clock", failed.Fix, StringComparison.Ordinal);
        Assert.Contains("(expired)", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_EndpointReachedThroughConnector_SkipsDnsAndConnectsThroughIt()
    {
        var connects = 0;
        var options = Options();
        var port = fixture.Instance.Port;
        options.Connector = new SecureOpenAIConnector(
            (host, p) => host == "localhost" && p == port,
            async (_, p, cancellationToken) =>
            {
                Interlocked.Increment(ref connects);
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, p), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            });

        // A DNS server that does not exist: a lookup would fail the network step.
        options.Network.DnsServers = ["127.0.0.1:9"];
        var report = await SecureOpenAIDiagnostics.RunAsync(options);

        Assert.True(report.IsHealthy, report.Failure?.Detail);
        Assert.Equal(SecureOpenAIDiagnosticStatus.Skipped, report.Steps[0].Status);
        Assert.Contains("connector", report.Steps[0].Detail, StringComparison.Ordinal);
        Assert.Null(report.Steps[0].Network);
        Assert.True(connects >= 2, $"{connects} connections");
    }

    [Fact]
    public async Task RunAsync_ListenerThatNeverSpeaksTls_FailsAtTlsWithinTheNetworkTimeout()
    {
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var options = Options();
        options.Endpoint = new Uri($"https://localhost:{((IPEndPoint)silent.LocalEndpoint).Port}/");
        options.NetworkTimeout = TimeSpan.FromSeconds(1);

        var report = await SecureOpenAIDiagnostics.RunAsync(options);

        var failed = Assert.IsType<SecureOpenAIDiagnosticStep>(report.Failure);
        Assert.Equal(SecureOpenAIDiagnosticCheck.Tls, failed.Check);
        Assert.Contains("did not complete a TLS handshake within 1 s", failed.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_NothingListensAtTheVerifiedAddress_FailsAtTlsSayingSo()
    {
        int port;
        using (var closed = new TcpListener(IPAddress.Loopback, 0))
        {
            closed.Start();
            port = ((IPEndPoint)closed.LocalEndpoint).Port;
        }

        var options = Options();
        options.Endpoint = new Uri($"https://localhost:{port}/");

        var report = await SecureOpenAIDiagnostics.RunAsync(options);

        var failed = Assert.IsType<SecureOpenAIDiagnosticStep>(report.Failure);
        Assert.Equal(SecureOpenAIDiagnosticCheck.Tls, failed.Check);
        Assert.Contains($"127.0.0.1:{port}: ConnectionRefused", failed.Detail, StringComparison.Ordinal);
        Assert.Contains("allow TCP", failed.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_OptionsBreakARule_ThrowsNamingTheSettingNotAFlag()
    {
        var options = Options();
        options.Endpoint = null;

        var error = await Assert.ThrowsAsync<ArgumentException>(() => SecureOpenAIDiagnostics.RunAsync(options));

        Assert.Contains("SecureOpenAI:Endpoint is missing", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("--", error.Message, StringComparison.Ordinal);
    }
}
