using SecureAoai.Client;
using SecureAoai.Testing.Recordings;

namespace SecureAoai.IntegrationTests.Recorded;

/// <summary>
/// One way an app calls Azure OpenAI through <c>AddSecureOpenAI</c> (the OpenAI client today;
/// Microsoft.Extensions.AI and Azure.AI.OpenAI later). Adding a path is one more implementation,
/// listed in <see cref="RecordedClientPaths"/>: every recording is then replayed through it too.
/// </summary>
internal interface IRecordedClientPath
{
    /// <summary>The name the test cases show.</summary>
    string Name { get; }

    /// <summary>Registers what this path needs beyond <c>AddSecureOpenAI</c>.</summary>
    void Configure(SecureOpenAIBuilder builder);

    /// <summary>
    /// Makes the call the recorded request made, as a user of this path would write it, and
    /// returns what the user got. Refusals surface as the exceptions the path throws.
    /// </summary>
    Task<RecordedOutcome> SendAsync(IServiceProvider services, RecordedEntry entry, CancellationToken cancellationToken);
}

/// <summary>The client paths every recording is replayed through.</summary>
internal static class RecordedClientPaths
{
    public static readonly IReadOnlyDictionary<string, IRecordedClientPath> All =
        new IRecordedClientPath[] { new OpenAIClientPath() }.ToDictionary(p => p.Name, StringComparer.Ordinal);
}
