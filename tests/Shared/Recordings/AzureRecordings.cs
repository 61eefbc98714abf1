using System.Text.Json;

namespace SecureAoai.Testing.Recordings;

/// <summary>
/// The responses recorded from live Azure OpenAI, read at test time from
/// <c>shared/conformance/azure-recordings</c> next to the repository (never copied into it). The
/// folder is found by walking up from the test assembly, or named by <see cref="FolderVariable"/>.
/// </summary>
internal static class AzureRecordings
{
    /// <summary>An environment variable naming the folder, for checkouts that do not sit next to <c>shared/</c>.</summary>
    public const string FolderVariable = "SECUREAOAI_AZURE_RECORDINGS";

    private const string RelativeFolder = "shared/conformance/azure-recordings";

    private static readonly Lazy<string> LazyFolder = new(Locate);

    /// <summary>The folder holding the recordings.</summary>
    /// <exception cref="DirectoryNotFoundException">Neither the variable nor a parent folder leads to it.</exception>
    public static string Folder => LazyFolder.Value;

    /// <summary>Every recording's file name, sorted: the cases of the replay and conformance tests.</summary>
    public static IReadOnlyList<string> FileNames =>
        [.. Directory.EnumerateFiles(Folder, "*.json").Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal)];

    /// <summary>Loads one recording by its file name, such as <c>ChatCompletion.json</c>.</summary>
    public static Recording Load(string fileName)
    {
        string path = Path.Combine(Folder, fileName);
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        JsonElement entries = document.RootElement.GetProperty("Entries");
        return new Recording(fileName, [.. entries.EnumerateArray().Select(e => RecordedEntry.Read(e.Clone()))]);
    }

    private static string Locate()
    {
        string? configured = Environment.GetEnvironmentVariable(FolderVariable);
        if (!string.IsNullOrEmpty(configured))
        {
            return Directory.Exists(configured)
                ? configured
                : throw new DirectoryNotFoundException($"{FolderVariable} names '{configured}', which is not a folder. Point it at shared/conformance/azure-recordings.");
        }

        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, RelativeFolder);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException(
            $"The Azure OpenAI recordings were not found: no folder above {AppContext.BaseDirectory} holds {RelativeFolder}. " +
            $"Check out the repository next to the shared folder (../shared from the repository root), or set {FolderVariable} to the recordings folder.");
    }
}

/// <summary>One test-proxy session record: its file name and its request/response entries, in order.</summary>
internal sealed record Recording(string FileName, IReadOnlyList<RecordedEntry> Entries)
{
    public override string ToString() => FileName;
}
