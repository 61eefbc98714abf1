using System.Text.Json;
using SecureAoai.Client.Tests.Networking.Dns;

namespace SecureAoai.Cli.Tests;

/// <summary><c>secureaoai doctor</c> against a real DNS server with a privatelink chain.</summary>
public sealed class DoctorCommandTests(DnsmasqFixture dns) : IClassFixture<DnsmasqFixture>
{
    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(args, output, error);
        return (exitCode, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Doctor_NetworkOnlyPrivateAnswer_ExitsZeroAndPrintsChainAndClasses()
    {
        var (exitCode, output, _) = await RunAsync("doctor", "--endpoint", "https://aoai-east.openai.azure.com/", "--dns-server", dns.Address, "--network-only");

        Assert.Equal(0, exitCode);
        Assert.Contains("aoai-east.openai.azure.com → aoai-east.privatelink.openai.azure.com", output, StringComparison.Ordinal);
        Assert.Matches(@"10\.1\.2\.3\s+private\s+allowed", output);
        Assert.Contains("verdict   OK", output, StringComparison.Ordinal);
        Assert.Contains($"DNS {dns.Address}", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_PublicAnswer_ExitsOneWithCauseAndFix()
    {
        var (exitCode, output, _) = await RunAsync("doctor", "--endpoint", "https://aoai-public.openai.azure.com/", "--dns-server", dns.Address);

        Assert.Equal(1, exitCode);
        Assert.Matches(@"20\.1\.2\.3\s+public\s+refused", output);
        Assert.Contains("REFUSED (PolicyViolation)", output, StringComparison.Ordinal);
        Assert.Contains("not linked to this client's VNet", output, StringComparison.Ordinal);
        Assert.Contains("168.63.129.16", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_NetworkOnlyPublicAnswerWithAllowPublic_ExitsZero()
    {
        var (exitCode, _, _) = await RunAsync("doctor", "--endpoint", "https://aoai-public.openai.azure.com/", "--dns-server", dns.Address, "--policy", "AllowPublic", "--network-only");

        Assert.Equal(0, exitCode);
    }

    [Fact]
    public async Task Doctor_Json_ReportsChainAddressesAndVerdict()
    {
        var (exitCode, output, _) = await RunAsync("doctor", "--endpoint", "https://aoai-public.openai.azure.com/", "--dns-server", dns.Address, "--json");

        Assert.Equal(1, exitCode);
        using var report = JsonDocument.Parse(output);
        var root = report.RootElement;
        Assert.False(root.GetProperty("allowed").GetBoolean());
        Assert.Equal("PolicyViolation", root.GetProperty("failure").GetString());
        Assert.Equal(["aoai-public.openai.azure.com", "aoai-public.privatelink.openai.azure.com"], root.GetProperty("chain").EnumerateArray().Select(n => n.GetString()));
        var address = Assert.Single(root.GetProperty("addresses").EnumerateArray());
        Assert.Equal("20.1.2.3", address.GetProperty("address").GetString());
        Assert.Equal("Public", address.GetProperty("class").GetString());
    }

    [Fact]
    public async Task Doctor_NameDoesNotExist_ExitsOneSayingNotFound()
    {
        var (exitCode, output, _) = await RunAsync("doctor", "--endpoint", "https://aoai-missing.openai.azure.com/", "--dns-server", dns.Address);

        Assert.Equal(1, exitCode);
        Assert.Contains("REFUSED (NameNotFound)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_NetworkOnlyHostOverride_UsesFixedAnswer()
    {
        var (exitCode, output, _) = await RunAsync(
            "doctor", "--endpoint", "https://partner.openai.azure.com/", "--dns-server", dns.Address, "--host-override", "partner.openai.azure.com=10.20.0.5", "--network-only");

        Assert.Equal(0, exitCode);
        Assert.Contains("host override", output, StringComparison.Ordinal);
        Assert.Matches(@"10\.20\.0\.5\s+private\s+allowed", output);
    }

    [Theory]
    [InlineData("--dns-server", "not-an-address", "DnsServers entry 'not-an-address'")]
    [InlineData("--host-override", "partner.openai.azure.com=nope", "HostOverrides:partner.openai.azure.com 'nope'")]
    public async Task Doctor_BadSetting_ExitsTwoNamingIt(string option, string value, string expected)
    {
        var (exitCode, _, error) = await RunAsync("doctor", "--endpoint", "https://aoai-east.openai.azure.com/", option, value);

        Assert.Equal(2, exitCode);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_NoEndpoint_ExitsTwo()
    {
        var (exitCode, _, error) = await RunAsync("doctor");

        Assert.Equal(2, exitCode);
        Assert.Contains("--endpoint", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_ConfigFileMissing_ExitsTwoNamingTheFlagAndFile()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"secureaoai-missing-{Guid.NewGuid():N}.json");

        var (exitCode, _, error) = await RunAsync("doctor", "--config", missing);

        Assert.Equal(2, exitCode);
        Assert.Contains($"--config '{missing}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_ConfigSetsANetworkRuleBroken_ExitsTwoNamingTheSetting()
    {
        var file = Path.Combine(Path.GetTempPath(), $"secureaoai-doctor-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(file, """{ "SecureOpenAI": { "Endpoint": "https://aoai-east.openai.azure.com/", "Network": { "DnsServers": [ "not-an-address" ] } } }""");
        try
        {
            var (exitCode, _, error) = await RunAsync("doctor", "--config", file);

            Assert.Equal(2, exitCode);
            Assert.Contains("SecureOpenAI:Network:DnsServers entry 'not-an-address'", error, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
