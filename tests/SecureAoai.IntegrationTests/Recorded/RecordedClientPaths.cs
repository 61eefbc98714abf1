namespace SecureAoai.IntegrationTests.Recorded;

/// <summary>The client paths every recording is replayed through in this test project.</summary>
internal static class RecordedClientPaths
{
    public static readonly IReadOnlyDictionary<string, IRecordedClientPath> All =
        new IRecordedClientPath[] { new OpenAIClientPath(), new ExtensionsAIClientPath() }.ToDictionary(p => p.Name, StringComparer.Ordinal);
}
