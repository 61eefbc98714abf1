using System.Globalization;
using System.Runtime.InteropServices;

namespace SecureAoai.Emulator;

/// <summary>
/// Runs the emulator standalone: <c>SecureAoai.Emulator [--ca-dir DIR] [--port N] [--instances eastus,westus] [--key-auth] [--gateway PREFIX [--gateway-audience AUDIENCE]]</c>.
/// </summary>
internal static class Program
{
    private const string Usage =
        "Usage: SecureAoai.Emulator [--ca-dir DIR] [--port N] [--instances eastus,westus] [--key-auth] [--gateway PREFIX [--gateway-audience AUDIENCE]]\n" +
        "  --ca-dir DIR                where ca.pem / ca.key are kept (default: a temporary folder)\n" +
        "  --port N                    port of the first instance (default: ephemeral)\n" +
        "  --instances LIST            comma-separated instance names (default: eastus)\n" +
        "  --key-auth                  accept API keys (default: Entra ID tokens only)\n" +
        "  --gateway PREFIX            an API Management gateway 'apim' at PREFIX (such as /aoai) in front of every instance,\n" +
        "                              requiring its subscription key (default: no gateway)\n" +
        "  --gateway-audience AUDIENCE the gateway takes Entra ID tokens for AUDIENCE (such as api://contoso-gateway) instead of a key";

    private static async Task<int> Main(string[] args)
    {
        EmulatorOptions options;
        try
        {
            options = ParseArguments(args);
        }
        catch (FormatException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message + Environment.NewLine + Usage).ConfigureAwait(false);
            return 2;
        }

        options.RequestLog = Console.WriteLine;
        await using EmulatorServer server = await EmulatorServer.StartAsync(options).ConfigureAwait(false);
        PrintEndpoints(server);

        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopped.TrySetResult();
        }

        using PosixSignalRegistration interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using PosixSignalRegistration terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        await stopped.Task.ConfigureAwait(false);
        Console.WriteLine("Stopping.");
        return 0;
    }

    private static EmulatorOptions ParseArguments(string[] args)
    {
        var options = new EmulatorOptions();
        int? port = null;
        bool keyAuth = false;
        string[] names = ["eastus"];
        string? gatewayPrefix = null;
        string? gatewayAudience = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--ca-dir":
                    options.CaDirectory = Value(args, ref i);
                    break;
                case "--port":
                    port = int.TryParse(Value(args, ref i), NumberStyles.None, CultureInfo.InvariantCulture, out int parsed)
                        ? parsed
                        : throw new FormatException($"--port needs a number, not '{args[i]}'.");
                    break;
                case "--instances":
                    names = Value(args, ref i).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "--key-auth":
                    keyAuth = true;
                    break;
                case "--gateway":
                    gatewayPrefix = Value(args, ref i);
                    break;
                case "--gateway-audience":
                    gatewayAudience = Value(args, ref i);
                    break;
                default:
                    throw new FormatException($"Unknown argument '{args[i]}'.");
            }
        }

        foreach (string name in names)
        {
            options.Instances.Add(new EmulatorInstanceOptions { Name = name, KeyAuthEnabled = keyAuth });
        }

        if (port is int first && options.Instances.Count > 0)
        {
            options.Instances[0].Port = first;
        }

        if (gatewayAudience is not null && gatewayPrefix is null)
        {
            throw new FormatException("--gateway-audience needs --gateway.");
        }

        if (gatewayPrefix is not null)
        {
            options.Gateways.Add(new EmulatorGatewayOptions
            {
                PathPrefix = gatewayPrefix,
                SubscriptionRequired = gatewayAudience is null,
                Audience = gatewayAudience,
            });
        }

        return options;
    }

    private static string Value(string[] args, ref int index) =>
        ++index < args.Length ? args[index] : throw new FormatException($"{args[index - 1]} needs a value.");

    private static void PrintEndpoints(EmulatorServer server)
    {
        // Keys and the App Service identity header are secrets even here: they go to a file only
        // the current user can read, never to the console.
        string secretsPath = WriteSecrets(server);
        Console.WriteLine("SecureAoai emulator running (127.0.0.1 only). Press Ctrl+C to stop.");
        Console.WriteLine();
        foreach (EmulatorInstance instance in server.Instances)
        {
            string keyAuth = instance.KeyAuthEnabled ? $"key auth enabled (key: ${KeyVariable(instance)})" : "key auth disabled";
            Console.WriteLine($"  instance {instance.Name,-10} {instance.Endpoint}openai/v1/   {keyAuth}");
        }

        foreach (EmulatorGateway gateway in server.Gateways)
        {
            string auth = gateway.Audience is { } audience ? $"Entra ID tokens for {audience}" : $"{gateway.SubscriptionKeyHeader}: ${GatewayKeyVariable(gateway)}";
            Console.WriteLine($"  gateway  {gateway.Name,-10} {gateway.Endpoint}   {auth}, backends {string.Join(", ", gateway.Backends.Select(b => b.Name))}");
        }

        Console.WriteLine($"  Entra authority     {server.AuthorityHost}{server.TenantId}/oauth2/v2.0/token");
        Console.WriteLine($"  IMDS                {server.ImdsEndpoint}");
        Console.WriteLine($"  App Service MSI     {server.AppServiceEndpoint}");
        Console.WriteLine($"  test CA (PEM)       {server.CaCertificatePath}");
        Console.WriteLine();
        Console.WriteLine("Managed identity, IMDS style:");
        Console.WriteLine($"  export AZURE_POD_IDENTITY_AUTHORITY_HOST={server.ImdsEndpoint}");
        Console.WriteLine("Managed identity, App Service style (IDENTITY_HEADER and API keys are in the file):");
        Console.WriteLine($"  source {secretsPath}");
        Console.WriteLine("Workload identity:");
        Console.WriteLine($"  export AZURE_AUTHORITY_HOST={server.AuthorityHost}");
        Console.WriteLine($"  export AZURE_TENANT_ID={server.TenantId}");
        Console.WriteLine();
    }

    private static string WriteSecrets(EmulatorServer server)
    {
        string path = Path.Combine(Path.GetDirectoryName(server.CaCertificatePath)!, "emulator.env");
        var lines = new List<string>
        {
            $"export IDENTITY_ENDPOINT={server.AppServiceEndpoint}",
            $"export IDENTITY_HEADER={server.AppServiceIdentityHeader}",
        };
        lines.AddRange(server.Instances.Where(i => i.KeyAuthEnabled).Select(i => $"export {KeyVariable(i)}={i.ApiKey}"));
        lines.AddRange(server.Gateways.Where(g => g.SubscriptionRequired).Select(g => $"export {GatewayKeyVariable(g)}={g.SubscriptionKey}"));
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var writer = new StreamWriter(path, new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false), options);
        foreach (string line in lines)
        {
            writer.WriteLine(line);
        }

        return path;
    }

    private static string KeyVariable(EmulatorInstance instance) => "SECUREAOAI_EMULATOR_" + VariablePart(instance.Name) + "_API_KEY";

    private static string GatewayKeyVariable(EmulatorGateway gateway) => "SECUREAOAI_EMULATOR_" + VariablePart(gateway.Name) + "_SUBSCRIPTION_KEY";

    private static string VariablePart(string name) =>
        new(name.ToUpperInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_').ToArray());
}
