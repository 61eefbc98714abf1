namespace SecureAoai.IntegrationTests.Recorded;

/// <summary>The client paths every recording is replayed through in this test project: Azure.AI.OpenAI's.</summary>
internal static class RecordedClientPaths
{
    public static readonly IReadOnlyDictionary<string, IRecordedClientPath> All =
        new IRecordedClientPath[] { AzureOpenAIClientPath.Create() }.ToDictionary(p => p.Name, StringComparer.Ordinal);
}
