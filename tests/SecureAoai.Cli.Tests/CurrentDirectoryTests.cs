namespace SecureAoai.Cli.Tests;

/// <summary>Tests that change the process's current directory run alone, never beside others.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CurrentDirectoryTests
{
    public const string Name = "Current directory";
}
