using System.Text.RegularExpressions;
using SecureAoai.Overlay.Controller;
using SecureAoai.Overlay.Tests.Fabric;

namespace SecureAoai.Cli.Tests;

/// <summary><c>secureaoai load</c> against <c>secureaoai host --echo</c> through a real router.</summary>
public sealed partial class LoadCommandTests
{
    [Fact]
    public async Task Load_AgainstEchoHost_ReportsRoundTripsPercentilesAndNoErrors()
    {
        await using var fabric = FabricFixture.Start();
        fabric.Controller.CreateService("echo", ["bench"]);
        fabric.Controller.CreateServicePolicy("dial", ServicePolicyType.Dial, PolicySemantic.AnyOf, ["#clients"], ["#bench"]);
        fabric.Controller.CreateServicePolicy("bind", ServicePolicyType.Bind, PolicySemantic.AnyOf, ["#servers"], ["#bench"]);
        await fabric.EnrollAsync("server", "servers");
        await fabric.EnrollAsync("client", "clients");
        using var stopHost = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var hostOutput = new StringWriter();
        var hostError = new StringWriter();
        var host = CliApp.RunAsync(["host", "--identity", fabric.Overlay.PathFor("server.json"), "--service", "echo", "--echo"], hostOutput, hostError, stopHost.Token);
        for (var i = 0; i < 200 && fabric.Router.TerminatorCount("echo") == 0; i++)
        {
            Assert.False(host.IsCompleted, $"host exited: {hostError}");
            await Task.Delay(25);
        }

        var output = new StringWriter();
        var error = new StringWriter();
        var exitCode = await CliApp.RunAsync(
            ["load", "--identity", fabric.Overlay.PathFor("client.json"), "--service", "echo", "--streams", "4", "--duration", "00:00:01", "--size", "512"], output, error);

        Assert.True(exitCode == 0, $"load exited {exitCode}: {error}{output}");
        var report = Report().Match(output.ToString());
        Assert.True(report.Success, output.ToString());
        Assert.True(long.Parse(report.Groups["requests"].Value, System.Globalization.CultureInfo.InvariantCulture) > 0);
        Assert.Contains("errors 0", output.ToString(), StringComparison.Ordinal);
        await stopHost.CancelAsync();
        Assert.Equal(0, await host.WaitAsync(TimeSpan.FromSeconds(15)));
    }

    [Theory]
    [InlineData("--streams", "0")]
    [InlineData("--size", "0")]
    [InlineData("--duration", "00:00:00")]
    public async Task Load_BadLimits_ExitsTwo(string option, string value)
    {
        var error = new StringWriter();

        var exitCode = await CliApp.RunAsync(["load", "--identity", "x.json", "--service", "echo", option, value], new StringWriter(), error);

        Assert.Equal(2, exitCode);
        Assert.Contains(option, error.ToString(), StringComparison.Ordinal);
    }

    [GeneratedRegex(@"4 stream\(s\) for [0-9.]+ s: (?<requests>\d+) round trips \(\d+ per s\), [0-9.]+ MiB/s both ways, p50 [0-9.]+ ms, p99 [0-9.]+ ms")]
    private static partial Regex Report();
}
