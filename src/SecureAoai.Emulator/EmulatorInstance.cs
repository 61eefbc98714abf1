using System.Collections.ObjectModel;
using SecureAoai.Emulator.Internal;

namespace SecureAoai.Emulator;

/// <summary>A running emulated Azure OpenAI resource, serving HTTPS on 127.0.0.1.</summary>
public sealed class EmulatorInstance
{
    private readonly SourceNetworkList _allowedSourceCidrs;
    private volatile bool _keyAuthEnabled;
    private int _requestCount;

    internal EmulatorInstance(EmulatorInstanceOptions options)
    {
        Name = options.Name;
        ApiKey = options.ApiKey;
        _keyAuthEnabled = options.KeyAuthEnabled;
        _allowedSourceCidrs = new SourceNetworkList(options.AllowedSourceCidrs);
        Deployments = new ReadOnlyDictionary<string, EmulatorDeploymentKind>(
            new Dictionary<string, EmulatorDeploymentKind>(options.Deployments, StringComparer.Ordinal));
    }

    /// <summary>The instance's name, also reported in the <c>x-ms-region</c> response header.</summary>
    public string Name { get; }

    /// <summary>
    /// The resource root, <c>https://localhost:PORT/</c>. Clients of the v1 API use
    /// <c>{Endpoint}openai/v1/</c>.
    /// </summary>
    public Uri Endpoint => new($"https://localhost:{Port}/");

    /// <summary>The TCP port the instance listens on, on 127.0.0.1.</summary>
    public int Port { get; internal set; }

    /// <summary>The number of data-plane requests received, whatever their outcome.</summary>
    public int RequestCount => Volatile.Read(ref _requestCount);

    /// <summary>The API key accepted while <see cref="KeyAuthEnabled"/> is set.</summary>
    public string ApiKey { get; }

    /// <summary>Whether API keys are accepted; may be changed while the instance runs.</summary>
    public bool KeyAuthEnabled
    {
        get => _keyAuthEnabled;
        set => _keyAuthEnabled = value;
    }

    /// <summary>
    /// The firewall's allowed source networks in CIDR notation; empty allows every source. May be
    /// changed while the instance runs; an entry that is not a CIDR is refused with a
    /// <see cref="FormatException"/>.
    /// </summary>
    public IList<string> AllowedSourceCidrs => _allowedSourceCidrs;

    internal IReadOnlyDictionary<string, EmulatorDeploymentKind> Deployments { get; }

    internal SourceNetworkList SourceNetworks => _allowedSourceCidrs;

    internal void CountRequest() => Interlocked.Increment(ref _requestCount);
}
