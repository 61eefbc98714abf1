using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using SecureAoai.Client;
using SecureAoai.IntegrationTests.Infrastructure;
using SecureAoai.Testing.Recordings;

namespace SecureAoai.IntegrationTests.Recorded;

/// <summary>
/// One recording served by a <see cref="ReplayServer"/>, and an app configured with
/// <c>AddSecureOpenAI</c> as the recorded client was: the same deployment, api-version and kind
/// of credential (an API key, or an Entra ID token), one endpoint with a name unique to the test
/// so its metrics can be told apart.
/// </summary>
internal sealed class RecordedRig : IAsyncDisposable
{
    /// <summary>A stand-in API key: recordings are sanitized, so the replay server accepts anything.</summary>
    public const string ReplayApiKey = "replay-key-accepted-by-anything";

    private RecordedRig(Recording recording, ReplayServer server, ServiceProvider services, string endpointName, MeterRecorder metrics)
    {
        Recording = recording;
        Server = server;
        Services = services;
        EndpointName = endpointName;
        Metrics = metrics;
    }

    public Recording Recording { get; }

    public ReplayServer Server { get; }

    public ServiceProvider Services { get; }

    /// <summary>The endpoint's configured name, as metrics and rate-limit snapshots report it.</summary>
    public string EndpointName { get; }

    /// <summary>The <c>SecureAoai</c> meter's measurements for this rig's endpoint only.</summary>
    public MeterRecorder Metrics { get; }

    public static async Task<RecordedRig> StartAsync(string fileName, IRecordedClientPath path)
    {
        Recording recording = AzureRecordings.Load(fileName);
        RecordedEntry first = recording.Entries[0];
        ReplayServer server = await ReplayServer.StartAsync(recording.Entries);
        string endpointName = $"recorded-{Guid.NewGuid():N}";
        bool embeddings = RecordedExpectation.IsEmbeddings(first);
        var settings = new Dictionary<string, string?>
        {
            ["SecureOpenAI:Endpoints:0:Name"] = endpointName,
            ["SecureOpenAI:Endpoints:0:Uri"] = server.Endpoint.ToString(),
            ["SecureOpenAI:TrustedCaCertificatePath"] = server.CaCertificatePath,
            ["SecureOpenAI:ApiVersion"] = first.ApiVersion,
            [$"SecureOpenAI:Deployments:{(embeddings ? "embeddings" : "chat")}:Name"] = first.Deployment,
            [$"SecureOpenAI:Deployments:{(embeddings ? "embeddings" : "chat")}:Kind"] = embeddings ? "Embedding" : "Chat",
        };
        if (!first.UsedBearerToken)
        {
            settings["SecureOpenAI:ApiKey"] = ReplayApiKey;
            settings["SecureOpenAI:AllowApiKey"] = "true";
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection().AddLogging();
        SecureOpenAIBuilder builder = services.AddSecureOpenAI(configuration.GetSection("SecureOpenAI"));
        if (first.UsedBearerToken)
        {
            // The recorded Authorization header is sanitized, so no real token could match it, and the replay checks none.
            builder.UseCredential(new MintingCredential(_ => "replayed-requests-carry-no-real-token"));
        }

        path.Configure(builder, first);
        return new RecordedRig(recording, server, services.BuildServiceProvider(), endpointName, new MeterRecorder(endpointName));
    }

    public async ValueTask DisposeAsync()
    {
        Metrics.Dispose();
        await Services.DisposeAsync();
        await Server.DisposeAsync();
    }
}
