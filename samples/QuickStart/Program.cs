// The quick start: an Azure OpenAI emulator on loopback, and an app that calls it through
// AddSecureOpenAI with a managed identity (no key anywhere), printing a streamed answer.
//
//   dotnet run --project samples/QuickStart [-- --identity imds|appservice|workload] [--prompt "..."]
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenAI.Chat;
using OpenAI.Embeddings;
using SecureAoai.Emulator;

var identity = Argument(args, "--identity") ?? "imds";
var prompt = Argument(args, "--prompt") ?? "Why should an app reach Azure OpenAI through a private endpoint?";
if (identity is not ("imds" or "appservice" or "workload"))
{
    Console.Error.WriteLine($"Unknown --identity '{identity}'. Use imds, appservice or workload.");
    return 2;
}

Console.WriteLine("Starting the Azure OpenAI emulator (TLS with a fresh test CA, Entra tokens required, keys disabled)...");
var emulatorOptions = new EmulatorOptions();
var federation = new EmulatorFederation { ClientId = "22222222-2222-2222-2222-222222222222" };
emulatorOptions.Identities.Add(new EmulatorIdentity { ClientId = "11111111-1111-1111-1111-111111111111" });
emulatorOptions.Identities.Add(new EmulatorIdentity { ClientId = federation.ClientId });
emulatorOptions.Federations.Add(federation);
await using var emulator = await EmulatorServer.StartAsync(emulatorOptions);
var resource = emulator.Instances[0];

string? tokenFile = null;
var settings = new Dictionary<string, string?>
{
    ["SecureOpenAI:Endpoint"] = resource.Endpoint.ToString(),
    ["SecureOpenAI:TrustedCaCertificatePath"] = emulator.CaCertificatePath,
    ["SecureOpenAI:Deployments:chat:Name"] = "gpt-4o-mini",
    ["SecureOpenAI:Deployments:embeddings:Name"] = "text-embedding-3-small",
    ["SecureOpenAI:Deployments:embeddings:Kind"] = "Embedding",
};

// What a platform would set: IMDS (AKS pod identity, VMs), App Service's identity endpoint, or the
// AKS workload-identity webhook's federated token file. Here each points at the emulator.
switch (identity)
{
    case "imds":
        Environment.SetEnvironmentVariable("AZURE_POD_IDENTITY_AUTHORITY_HOST", emulator.ImdsEndpoint.ToString());
        settings["SecureOpenAI:Credential:Sources:0"] = "ManagedIdentity";
        break;
    case "appservice":
        Environment.SetEnvironmentVariable("IDENTITY_ENDPOINT", emulator.AppServiceEndpoint.ToString());
        Environment.SetEnvironmentVariable("IDENTITY_HEADER", emulator.AppServiceIdentityHeader);
        settings["SecureOpenAI:Credential:Sources:0"] = "ManagedIdentity";
        break;
    case "workload":
        tokenFile = Path.Combine(Path.GetTempPath(), $"secureaoai-federated-{Guid.NewGuid():N}.jwt");
        File.WriteAllText(tokenFile, emulator.CreateFederatedToken(federation));
        settings["SecureOpenAI:Credential:Sources:0"] = "WorkloadIdentity";
        settings["SecureOpenAI:Credential:TenantId"] = emulator.TenantId;
        settings["SecureOpenAI:Credential:ClientId"] = federation.ClientId;
        settings["SecureOpenAI:Credential:FederatedTokenFile"] = tokenFile;
        settings["SecureOpenAI:Credential:AuthorityHost"] = emulator.AuthorityHost.ToString();
        break;
}

Console.WriteLine($"  resource  {resource.Endpoint} (region {resource.Name})");
Console.WriteLine($"  identity  {identity}");
Console.WriteLine();

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [], EnvironmentName = Environments.Production });
builder.Configuration.AddInMemoryCollection(settings);
builder.Logging.SetMinimumLevel(LogLevel.Information).AddFilter("System.Net.Http", LogLevel.Warning).AddFilter("Microsoft.Hosting", LogLevel.Warning);
builder.AddSecureOpenAI();
using var host = builder.Build();

try
{
    await host.StartAsync();
    var chat = host.Services.GetRequiredService<ChatClient>();
    Console.WriteLine($"> {prompt}");
    ChatTokenUsage? usage = null;
    var answering = false;
    await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage(prompt)]))
    {
        foreach (var part in update.ContentUpdate)
        {
            // The first chunk arrives after the token was fetched (and logged), so the answer
            // starts on its own line.
            Console.Write(answering ? part.Text : $"< {part.Text}");
            answering = true;
        }

        usage ??= update.Usage;
    }

    Console.WriteLine();
    if (usage is not null)
    {
        Console.WriteLine($"  usage: {usage.InputTokenCount} prompt + {usage.OutputTokenCount} completion tokens");
    }

    var embedding = await host.Services.GetRequiredService<EmbeddingClient>().GenerateEmbeddingAsync(prompt);
    Console.WriteLine($"  embedding: {embedding.Value.ToFloats().Length} dimensions");
    Console.WriteLine("Quick start finished: the call used an Entra ID token, no API key.");
    await host.StopAsync();
    return 0;
}
catch (Exception ex)
{
    Console.Error.WriteLine();
    Console.Error.WriteLine($"Quick start failed: {ex.Message}");
    return 1;
}
finally
{
    if (tokenFile is not null)
    {
        File.Delete(tokenFile);
    }
}

static string? Argument(string[] args, string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}
