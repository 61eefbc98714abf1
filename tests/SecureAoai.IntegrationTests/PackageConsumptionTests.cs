using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;
using SecureAoai.IntegrationTests.Infrastructure;

namespace SecureAoai.IntegrationTests;

/// <summary>
/// SecureAoai.Client as a user gets it: packed (from the build the tests already made) into a
/// folder feed under a version no cache has seen, then a small app outside the repository, with
/// none of its build settings, references it by that version, calls <c>builder.AddSecureOpenAI()</c>
/// and asks the emulator through an injected <c>IChatClient</c>. Restores offline from the folder
/// feed and the configured NuGet source (every dependency is already in the machine's package
/// cache); every step has a time limit; the folders, and the package's copy in the cache, are removed.
/// </summary>
public sealed class PackageConsumptionTests(WorkloadIdentityEmulator fixture) : IClassFixture<WorkloadIdentityEmulator>
{
    /// <summary>A guard against a hung tool, not a performance bound: pack, restore and build of a one-file app.</summary>
    private static readonly TimeSpan StepTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task PackedClient_ReferencedByVersionOutsideTheSolution_AppAnswersThroughIChatClient()
    {
        var root = RepositoryRoot();
        var version = "0.0.1-pkgtest." + Guid.NewGuid().ToString("N")[..12];
        var work = Directory.CreateTempSubdirectory("secureaoai-pkgtest-");
        var feed = Directory.CreateDirectory(Path.Combine(work.FullName, "feed"));
        var app = Directory.CreateDirectory(Path.Combine(work.FullName, "app"));
        try
        {
            var configuration = new DirectoryInfo(AppContext.BaseDirectory).Parent!.Name;
            var project = Path.Combine(root, "src", "SecureAoai.Client", "SecureAoai.Client.csproj");
            await RunAsync(root, null, "pack", project, "--no-build", "--no-restore", "-c", configuration, "-o", feed.FullName, $"-p:Version={version}");
            var package = Path.Combine(feed.FullName, $"SecureAoai.Client.{version}.nupkg");
            AssertPackageMetadata(package, version);

            WriteApp(app.FullName, feed.FullName, version);
            await RunAsync(app.FullName, null, "build", "-c", "Release", "-o", "out", "--disable-build-servers", "-p:NuGetAudit=false");
            var output = await RunAsync(app.FullName, Environment(fixture.Settings()), Path.Combine("out", "PackagedApp.dll"));

            Assert.Contains("ANSWER: Echo from eastus: hello from a package", output, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
            var cached = Path.Combine(PackagesFolder(), "secureaoai.client", version);
            if (Directory.Exists(cached))
            {
                Directory.Delete(cached, recursive: true);
            }
        }
    }

    private static void AssertPackageMetadata(string package, string version)
    {
        using var zip = ZipFile.OpenRead(package);
        Assert.NotNull(zip.GetEntry("README.md"));
        Assert.NotNull(zip.GetEntry("lib/net10.0/SecureAoai.Client.dll"));
        using var nuspec = zip.GetEntry("SecureAoai.Client.nuspec")!.Open();
        var metadata = XDocument.Load(nuspec).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Value(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
        Assert.Equal(version, Value("version"));
        Assert.Equal("MIT", Value("license"));
        Assert.Equal("README.md", Value("readme"));
        Assert.Equal("SecureAoai contributors", Value("authors"));
        Assert.StartsWith("https://", Value("projectUrl"), StringComparison.Ordinal);
        Assert.Contains("azure-openai", Value("tags"), StringComparison.Ordinal);
    }

    /// <summary>The app a user would write: a generic host, <c>AddSecureOpenAI()</c>, an injected <c>IChatClient</c>.</summary>
    private static void WriteApp(string directory, string feed, string version)
    {
        File.WriteAllText(Path.Combine(directory, "PackagedApp.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="SecureAoai.Client" Version="{version}" />
                <PackageReference Include="Microsoft.Extensions.Hosting" Version="10.0.13" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(directory, "Program.cs"), """
            using Microsoft.Extensions.AI;
            using Microsoft.Extensions.DependencyInjection;
            using Microsoft.Extensions.Hosting;

            var builder = Host.CreateApplicationBuilder(args);
            builder.AddSecureOpenAI();
            using var host = builder.Build();
            await host.StartAsync();
            var chat = host.Services.GetRequiredService<IChatClient>();
            var answer = await chat.GetResponseAsync("hello from a package");
            Console.WriteLine("ANSWER: " + answer.Text);
            await host.StopAsync();
            """);
        // The folder feed, then whatever sources this machine's NuGet configuration names (the mirror).
        File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="secureaoai-local" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        // Stop the search for Directory.Build.props and Directory.Packages.props here: the app has none of the repository's.
        File.WriteAllText(Path.Combine(directory, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(directory, "Directory.Packages.props"), "<Project />");
    }

    /// <summary>The SecureOpenAI settings as environment variables, as a deployment would pass them.</summary>
    private static Dictionary<string, string> Environment(Dictionary<string, string?> settings) =>
        settings.Where(s => s.Value is not null).ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/>, killed after <see cref="StepTimeout"/>; fails the test on a non-zero exit, with the output.</summary>
    private static async Task<string> RunAsync(string directory, Dictionary<string, string>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host's MSBuild settings would point the child build at this solution's build.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? [])
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(StepTimeout);
        var finished = true;
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            finished = false;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        var output = await stdout + await stderr;
        Assert.True(finished, $"dotnet {string.Join(' ', arguments)} did not finish within {StepTimeout.TotalMinutes} minutes:{System.Environment.NewLine}{output}");
        Assert.True(process.ExitCode == 0, $"dotnet {string.Join(' ', arguments)} exited {process.ExitCode}:{System.Environment.NewLine}{output}");
        return output;
    }

    private static string PackagesFolder() =>
        System.Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "SecureAoai.sln")))
        {
            directory = directory.Parent;
        }

        Assert.NotNull(directory);
        return directory.FullName;
    }
}
