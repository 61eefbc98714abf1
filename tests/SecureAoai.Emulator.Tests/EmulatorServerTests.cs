using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace SecureAoai.Emulator.Tests;

public sealed class EmulatorServerTests
{
    [Fact]
    public async Task StartAsync_EmptyOptions_AddsDefaultInstanceIdentityAndFederation()
    {
        var options = new EmulatorOptions();

        await using EmulatorServer server = await EmulatorServer.StartAsync(options);

        EmulatorInstance instance = Assert.Single(server.Instances);
        Assert.Equal("eastus", instance.Name);
        Assert.Equal(new Uri($"https://localhost:{instance.Port}/"), instance.Endpoint);
        Assert.NotEqual(0, instance.Port);
        Assert.Equal(EmulatorOptions.DefaultClientId, Assert.Single(options.Identities).ClientId);
        Assert.Equal(EmulatorOptions.DefaultClientId, Assert.Single(options.Federations).ClientId);
        Assert.Equal("127.0.0.1", server.ImdsEndpoint.Host);
        Assert.Equal("/msi/token", server.AppServiceEndpoint.AbsolutePath);
        Assert.Equal("localhost", server.AuthorityHost.Host);
    }

    [Fact]
    public async Task StartAsync_InvalidCidrAndDuplicateNames_ThrowsListingEveryProblem()
    {
        var options = new EmulatorOptions();
        options.Instances.Add(new EmulatorInstanceOptions { Name = "eastus", AllowedSourceCidrs = { "10.0.0.0/99" } });
        options.Instances.Add(new EmulatorInstanceOptions { Name = "EASTUS" });

        ArgumentException error = await Assert.ThrowsAsync<ArgumentException>(() => EmulatorServer.StartAsync(options));

        Assert.Contains("10.0.0.0/99", error.Message, StringComparison.Ordinal);
        Assert.Contains("appears 2 times", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Indexer_UnknownName_ThrowsNamingTheInstances()
    {
        await using EmulatorServer server = await EmulatorServer.StartAsync(new EmulatorOptions());

        KeyNotFoundException error = Assert.Throws<KeyNotFoundException>(() => server["westus"]);

        Assert.Contains("eastus", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ExistingCaDirectory_ReusesCaAndKeepsKeyOwnerOnly()
    {
        string directory = Directory.CreateTempSubdirectory("emulator-ca-test-").FullName;
        try
        {
            string firstThumbprint;
            await using (EmulatorServer first = await EmulatorServer.StartAsync(new EmulatorOptions { CaDirectory = directory }))
            {
                firstThumbprint = first.CaCertificate.Thumbprint;
                Assert.False(first.CaCertificate.HasPrivateKey);
            }

            await using EmulatorServer second = await EmulatorServer.StartAsync(new EmulatorOptions { CaDirectory = directory });

            Assert.Equal(firstThumbprint, second.CaCertificate.Thumbprint);
            Assert.Equal(Path.Combine(directory, "ca.pem"), second.CaCertificatePath);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(directory, "ca.key")));
            }

            X509BasicConstraintsExtension constraints = second.CaCertificate.Extensions.OfType<X509BasicConstraintsExtension>().Single();
            Assert.True(constraints.CertificateAuthority);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task DisposeAsync_TemporaryCaDirectory_IsDeleted()
    {
        EmulatorServer server = await EmulatorServer.StartAsync(new EmulatorOptions());
        string directory = Path.GetDirectoryName(server.CaCertificatePath)!;

        await server.DisposeAsync();

        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public async Task Tls_ClientTrustingOnlyTheSystemStore_RejectsTheServerCertificateForItsUntrustedRoot()
    {
        await using EmulatorServer server = await EmulatorServer.StartAsync(new EmulatorOptions());
        SslPolicyErrors? reported = null;
        X509ChainStatusFlags chainStatus = X509ChainStatusFlags.NoError;
        using var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                // The system store's verdict, unchanged (accepted only without errors), recorded to say why.
                RemoteCertificateValidationCallback = (_, _, chain, errors) =>
                {
                    reported = errors;
                    chainStatus = chain?.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status) ?? X509ChainStatusFlags.NoError;
                    return errors == SslPolicyErrors.None;
                },
            },
        };
        using var http = new HttpClient(handler);

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri(server["eastus"].Endpoint, "openai/v1/models")));

        // The TLS handshake failed on the certificate chain alone: the name matched, and the root is the emulator's own CA.
        Assert.Equal(HttpRequestError.SecureConnectionError, refused.HttpRequestError);
        Assert.IsType<AuthenticationException>(refused.InnerException);
        Assert.Equal(SslPolicyErrors.RemoteCertificateChainErrors, reported);
        Assert.True(
            (chainStatus & (X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain)) != 0,
            $"expected an untrusted root or a chain that ends at an unknown CA, got {chainStatus}");
    }
}
