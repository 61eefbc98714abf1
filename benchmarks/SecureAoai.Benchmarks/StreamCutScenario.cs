using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenAI.Chat;
using SecureAoai.Emulator;

namespace SecureAoai.Benchmarks;

/// <summary>
/// A count, not a timing: three emulated regions (east throttled, west cutting every streamed answer
/// after 300 bytes, north healthy at the lowest priority) and a number of streamed requests, 16 at a
/// time. Prints how many failed and where the answers came from.
/// </summary>
/// <remarks>dotnet run -c Release --project benchmarks/SecureAoai.Benchmarks -- --scenario stream-cuts [REQUESTS]</remarks>
internal static class StreamCutScenario
{
    private const int Concurrency = 16;
    private const int CutAfterBytes = 300;

    public static async Task<int> RunAsync(int requests)
    {
        var options = new EmulatorOptions();
        var federation = new EmulatorFederation { ClientId = EmulatorOptions.DefaultClientId };
        options.Identities.Add(new EmulatorIdentity { ClientId = federation.ClientId });
        options.Federations.Add(federation);
        string[] names = ["east", "west", "north"];
        foreach (var name in names)
        {
            options.Instances.Add(new EmulatorInstanceOptions { Name = name });
        }

        await using var emulator = await EmulatorServer.StartAsync(options);
        emulator["east"].Throttle(TimeSpan.FromSeconds(1));
        emulator["west"].InjectStreamCut(afterBytes: CutAfterBytes);
        var tokenFile = Path.Combine(Path.GetTempPath(), $"secureaoai-scenario-{Guid.NewGuid():N}.jwt");
        await File.WriteAllTextAsync(tokenFile, emulator.CreateFederatedToken(federation));
        try
        {
            var settings = new Dictionary<string, string?>
            {
                ["SecureOpenAI:TrustedCaCertificatePath"] = emulator.CaCertificatePath,
                ["SecureOpenAI:Deployments:chat:Name"] = "gpt-4o-mini",
                ["SecureOpenAI:Credential:Sources:0"] = "WorkloadIdentity",
                ["SecureOpenAI:Credential:TenantId"] = emulator.TenantId,
                ["SecureOpenAI:Credential:ClientId"] = federation.ClientId,
                ["SecureOpenAI:Credential:FederatedTokenFile"] = tokenFile,
                ["SecureOpenAI:Credential:AuthorityHost"] = emulator.AuthorityHost.ToString(),
            };
            for (var i = 0; i < names.Length; i++)
            {
                settings[$"SecureOpenAI:Endpoints:{i}:Name"] = names[i];
                settings[$"SecureOpenAI:Endpoints:{i}:Uri"] = emulator[names[i]].Endpoint.ToString();
                settings[$"SecureOpenAI:Endpoints:{i}:Priority"] = (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            var services = new ServiceCollection().AddLogging();
            services.AddSecureOpenAI(new ConfigurationBuilder().AddInMemoryCollection(settings).Build().GetSection("SecureOpenAI"));
            await using var provider = services.BuildServiceProvider();
            var chat = provider.GetRequiredService<ChatClient>();

            var failed = 0;
            using var gate = new SemaphoreSlim(Concurrency);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, requests).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    await foreach (var _ in chat.CompleteChatStreamingAsync([new UserChatMessage($"a streamed answer long enough to be cut, number {i}")]))
                    {
                    }
                }
#pragma warning disable CA1031 // The scenario counts every failure, whatever its type.
                catch (Exception)
#pragma warning restore CA1031
                {
                    Interlocked.Increment(ref failed);
                }
                finally
                {
                    gate.Release();
                }
            }));

            Console.WriteLine($"{requests} streamed requests, {Concurrency} at a time, in {watch.Elapsed.TotalSeconds:0.0} s: {failed} failed.");
            foreach (var name in names)
            {
                var instance = emulator[name];
                Console.WriteLine($"  {name}: {instance.RequestCount} requests, {instance.ThrottledCount} throttled, {instance.FaultedCount} faulted (stream cuts)");
            }

            return 0;
        }
        finally
        {
            File.Delete(tokenFile);
        }
    }
}
