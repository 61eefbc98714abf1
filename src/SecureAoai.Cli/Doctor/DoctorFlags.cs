using System.CommandLine;
using System.CommandLine.Parsing;
using Microsoft.Extensions.Configuration;
using SecureAoai.Client;
using SecureAoai.Client.Credentials;
using SecureAoai.Client.Networking;

namespace SecureAoai.Cli.Doctor;

/// <summary>
/// Doctor's command line, and how it maps to the app's <c>SecureOpenAI</c> settings: <c>--config</c>
/// reads a settings file's section (then <c>SecureOpenAI__*</c> environment variables, as a host
/// does), and each flag sets one setting over it.
/// </summary>
internal sealed class DoctorFlags
{
    /// <summary>The flag that sets each setting a fix can name; settings without one are set in the <c>--config</c> file.</summary>
    public static readonly IReadOnlyDictionary<string, string> FlagsBySetting = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["SecureOpenAI:Endpoint"] = "--endpoint",
        ["SecureOpenAI:TrustedCaCertificatePath"] = "--trusted-ca",
        ["SecureOpenAI:Network:DnsServers"] = "--dns-server",
        ["SecureOpenAI:Network:HostOverrides"] = "--host-override",
        ["SecureOpenAI:Network:Policy"] = "--policy",
        ["SecureOpenAI:Credential:Sources"] = "--credential",
        ["SecureOpenAI:Credential:Scope"] = "--scope",
        ["SecureOpenAI:ApiVersion"] = "--api-version",
        ["SecureOpenAI:Deployments"] = "--deployment",
    };

    private readonly Option<string> _config = new("--config")
    {
        Description = "A settings file such as appsettings.json: its SecureOpenAI section is checked as the app would use it (environment variables SecureOpenAI__* apply over it; flags over both)",
    };

    private readonly Option<Uri> _endpoint = new("--endpoint")
    {
        Description = "The resource endpoint, such as https://NAME.openai.azure.com/ (SecureOpenAI:Endpoint; required unless --config sets it)",
        CustomParser = result => Uri.TryCreate(result.Tokens[0].Value, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttps
            ? uri
            : Fail<Uri>(result, $"--endpoint '{result.Tokens[0].Value}' is not an https URL such as https://NAME.openai.azure.com/."),
    };

    private readonly Option<string[]> _dnsServers = new("--dns-server")
    {
        Description = "A DNS server to ask instead of the system resolver, IP[:port]; repeat for more, asked in order",
    };

    private readonly Option<string[]> _overrides = new("--host-override")
    {
        Description = "A fixed answer, HOST=IP[,IP]; repeat for more",
        CustomParser = result => Validated(result, static s => s.IndexOf('=', StringComparison.Ordinal) > 0, "is not HOST=IP[,IP]"),
    };

    private readonly Option<NetworkPolicy?> _policy = new("--policy") { Description = "RequirePrivate (default), PreferPrivate or AllowPublic" };

    private readonly Option<CredentialSource[]> _credentials = new("--credential")
    {
        Description = "A credential source to try, in order: WorkloadIdentity, ManagedIdentity, Developer, ClientCertificate, ClientSecret; repeat for more (default: the app's chain)",
    };

    private readonly Option<string> _scope = new("--scope") { Description = "The token scope (default https://cognitiveservices.azure.com/.default)" };

    private readonly Option<string[]> _deployments = new("--deployment") { Description = "A deployment that must exist on the resource; repeat for more" };

    private readonly Option<string> _apiVersion = new("--api-version") { Description = "Use the classic URLs with this api-version instead of the v1 API" };

    private readonly Option<string> _trustedCa = new("--trusted-ca")
    {
        Description = "A PEM CA certificate to trust for loopback addresses only: the local emulator's ca.pem",
    };

    private readonly Option<bool> _networkOnly = new("--network-only") { Description = "Only resolve the name and apply the network policy; send nothing to the endpoint" };

    private readonly Option<bool> _json = new("--json") { Description = "Print the report as JSON" };

    public void AddTo(Command command)
    {
        foreach (var option in (Option[])[_config, _endpoint, _dnsServers, _overrides, _policy, _credentials, _scope, _deployments, _apiVersion, _trustedCa, _networkOnly, _json])
        {
            command.Options.Add(option);
        }
    }

    public bool Json(ParseResult parse) => parse.GetValue(_json);

    public bool NetworkOnly(ParseResult parse) => parse.GetValue(_networkOnly);

    /// <summary>The settings to check: the file's, then the environment's, then the flags'.</summary>
    /// <exception cref="DoctorUsageException">The file cannot be read or no endpoint is given; the message names the flag.</exception>
    public SecureOpenAIOptions ToOptions(ParseResult parse)
    {
        var options = new SecureOpenAIOptions();
        var file = parse.GetValue(_config);
        try
        {
            var builder = new ConfigurationBuilder();
            if (file is not null)
            {
                builder.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
            }

            builder.AddEnvironmentVariables().Build().GetSection(SecureOpenAIOptions.SectionName).Bind(options);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or InvalidOperationException or FormatException)
        {
            throw new DoctorUsageException(file is null
                ? $"The SecureOpenAI__* environment variables could not be read as settings: {ex.Message}"
                : $"--config '{file}' could not be read as settings: {ex.Message}");
        }

        ApplyFlags(parse, options);
        if (options.Endpoint is null && options.Endpoints.Count == 0)
        {
            throw new DoctorUsageException("--endpoint is required (or --config with a file whose SecureOpenAI section sets Endpoint or Endpoints).");
        }

        return options;
    }

    private void ApplyFlags(ParseResult parse, SecureOpenAIOptions options)
    {
        if (parse.GetValue(_endpoint) is { } endpoint)
        {
            options.Endpoint = endpoint;
            options.Endpoints.Clear();
        }

        foreach (var network in options.Endpoints.Select(e => e.Network).OfType<SecureOpenAINetworkOptions>().Prepend(options.Network))
        {
            if (parse.GetValue(_dnsServers) is { Length: > 0 } servers)
            {
                network.DnsServers = [.. servers];
            }

            foreach (var entry in parse.GetValue(_overrides) ?? [])
            {
                var equals = entry.IndexOf('=', StringComparison.Ordinal);
                network.HostOverrides[entry[..equals]] = entry[(equals + 1)..];
            }

            if (parse.GetValue(_policy) is { } policy)
            {
                network.Policy = policy;
            }
        }

        if (parse.GetValue(_credentials) is { Length: > 0 } sources)
        {
            options.Credential.Sources = [.. sources];
        }

        options.Credential.Scope = parse.GetValue(_scope) ?? options.Credential.Scope;
        options.ApiVersion = parse.GetValue(_apiVersion) ?? options.ApiVersion;
        options.TrustedCaCertificatePath = parse.GetValue(_trustedCa) ?? options.TrustedCaCertificatePath;
        foreach (var name in parse.GetValue(_deployments) ?? [])
        {
            options.Deployments[name] = new SecureOpenAIDeployment { Name = name };
        }
    }

    private static string[] Validated(ArgumentResult result, Func<string, bool> isValid, string problem)
    {
        var values = result.Tokens.Select(t => t.Value).ToArray();
        foreach (var value in values.Where(v => !isValid(v)))
        {
            result.AddError($"{result.Parent?.ToString() ?? "value"} '{value}' {problem}.");
        }

        return values;
    }

    private static T Fail<T>(ArgumentResult result, string message)
    {
        result.AddError(message);
        return default!;
    }
}

/// <summary>The command line asks for something doctor cannot do; the message names the flag.</summary>
internal sealed class DoctorUsageException(string message) : Exception(message);
