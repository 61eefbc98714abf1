using System.Diagnostics;

namespace SecureAoai.IntegrationTests;

/// <summary>
/// The README's first command (with --smoke: the scripted conversation), run as its own process once
/// per identity protocol. A process each: managed-identity settings are environment variables,
/// which a process has one set of.
/// </summary>
public sealed class QuickStartTests
{
    [Theory]
    [InlineData("imds")]
    [InlineData("appservice")]
    [InlineData("workload")]
    public async Task QuickStart_Smoke_DarkAppsAnswerThroughTunnelsAndExitZero(string identity)
    {
        var (exitCode, output) = await RunAsync("--smoke", "--identity", identity);

        Assert.True(exitCode == 0, $"exit code {exitCode}; output:{Environment.NewLine}{output}");
        Assert.Contains("[ok] ChatApp sees the caller as 'browser'", output, StringComparison.Ordinal);
        Assert.Contains("< Echo from westus: Why reach Azure OpenAI through a private endpoint?", output, StringComparison.Ordinal);
        Assert.Contains("[ok] DocApp answered citing", output, StringComparison.Ordinal);
        Assert.Matches(@"\[ok\] Router 127\.0\.0\.1:\d+ stopped: ChatApp still answered through the other router", output);
        Assert.Contains("[ok] ChatApp refuses a request naming another host", output, StringComparison.Ordinal);
        Assert.Contains("[ok] DocApp refuses an upload posted from another site", output, StringComparison.Ordinal);
        Assert.DoesNotContain("FAILED", output, StringComparison.Ordinal);
        Assert.Contains("no API key, no open port", output, StringComparison.Ordinal);
        Assert.DoesNotContain("eyJ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(params string[] arguments)
    {
        // The sample is built beside this assembly's configuration: samples/QuickStart/bin/<config>/<tfm>/.
        var testBin = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = testBin.Parent!.Name;
        var framework = testBin.Name;
        var root = testBin;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "SecureAoai.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        var dll = Path.Combine(root.FullName, "samples", "QuickStart", "bin", configuration, framework, "QuickStart.dll");
        Assert.True(File.Exists(dll), $"{dll} was not built");

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The child must not inherit managed-identity settings from whoever runs the tests.
        foreach (var name in (string[])["AZURE_POD_IDENTITY_AUTHORITY_HOST", "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "MSI_ENDPOINT", "AZURE_FEDERATED_TOKEN_FILE"])
        {
            start.Environment.Remove(name);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
