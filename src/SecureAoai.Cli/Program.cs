namespace SecureAoai.Cli;

/// <summary>The <c>secureaoai</c> tool's entry point.</summary>
internal static class Program
{
    private static Task<int> Main(string[] args) => CliApp.RunAsync(args, Console.Out, Console.Error);
}
