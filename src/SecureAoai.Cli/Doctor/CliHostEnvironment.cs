using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Hosting;

namespace SecureAoai.Cli.Doctor;

/// <summary>
/// The environment an app on this machine would run in, read as a .NET host reads it
/// (<c>DOTNET_ENVIRONMENT</c>, then <c>ASPNETCORE_ENVIRONMENT</c>, else Production), so doctor
/// counts developer credentials exactly when the app would.
/// </summary>
internal sealed class CliHostEnvironment : IHostEnvironment
{
    public string EnvironmentName { get; set; } =
        Environment.GetEnvironmentVariable("DOTNET_ENVIRONMENT") is { Length: > 0 } dotnet ? dotnet
        : Environment.GetEnvironmentVariable("ASPNETCORE_ENVIRONMENT") is { Length: > 0 } aspnet ? aspnet
        : Environments.Production;

    public string ApplicationName { get; set; } = "secureaoai";

    public string ContentRootPath { get; set; } = Directory.GetCurrentDirectory();

    public IFileProvider ContentRootFileProvider { get; set; } = new NullFileProvider();
}
