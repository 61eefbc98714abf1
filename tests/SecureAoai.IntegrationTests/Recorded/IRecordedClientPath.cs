using SecureAoai.Client;
using SecureAoai.Testing.Recordings;

namespace SecureAoai.IntegrationTests.Recorded;

/// <summary>
/// One way an app calls Azure OpenAI through <c>AddSecureOpenAI</c>: the OpenAI client,
/// Microsoft.Extensions.AI's abstractions, or (in SecureAoai.Client.AzureOpenAI.Tests, which links
/// this file) Azure.AI.OpenAI's client. Adding a path is one more implementation, listed in the
/// test project's <c>RecordedClientPaths</c>: every recording is then replayed through it too.
/// </summary>
internal interface IRecordedClientPath
{
    /// <summary>The name the test cases show.</summary>
    string Name { get; }

    /// <summary>Registers what this path needs beyond <c>AddSecureOpenAI</c>, for a recording whose first exchange is <paramref name="first"/>.</summary>
    void Configure(SecureOpenAIBuilder builder, RecordedEntry first);

    /// <summary>
    /// Makes the call the recorded request made, as a user of this path would write it, and
    /// returns what the user got. Refusals surface as the exceptions the path throws.
    /// </summary>
    Task<RecordedOutcome> SendAsync(IServiceProvider services, RecordedEntry entry, CancellationToken cancellationToken);
}
