using System.Security.Cryptography;

namespace SecureAoai.Emulator;

/// <summary>Settings of one emulated Azure OpenAI resource (one region).</summary>
public sealed class EmulatorInstanceOptions
{
    /// <summary>
    /// The instance's name, used in answers and, as a region's display name, in the
    /// <c>x-ms-region</c> response header (see <see cref="RegionDisplayName"/>).
    /// The default value is <c>eastus</c>.
    /// </summary>
    public string Name { get; set; } = "eastus";

    /// <summary>The TCP port on 127.0.0.1. The default value is 0: an ephemeral port.</summary>
    public int Port { get; set; }

    /// <summary>
    /// Whether API keys are accepted. The default value is <see langword="false"/>, like a
    /// resource with <c>disableLocalAuth = true</c>: a key is answered with 403
    /// <c>AuthenticationTypeDisabled</c>.
    /// </summary>
    public bool KeyAuthEnabled { get; set; }

    /// <summary>
    /// The API key accepted in the <c>api-key</c> header (or as a non-JWT bearer value, which is how
    /// the OpenAI client sends an <c>ApiKeyCredential</c>) when <see cref="KeyAuthEnabled"/> is set.
    /// The default value is 32 random hex characters.
    /// </summary>
    public string ApiKey { get; set; } = RandomNumberGenerator.GetHexString(32, lowercase: true);

    /// <summary>
    /// The source networks allowed through the resource firewall, in CIDR notation such as
    /// <c>10.0.0.0/8</c>. The default value is empty: every source is allowed.
    /// </summary>
    public List<string> AllowedSourceCidrs { get; } = new();

    /// <summary>
    /// The model deployments by name. The default value holds <c>gpt-4o-mini</c> (chat, model
    /// <c>gpt-4o-mini-2024-07-18</c>) and <c>text-embedding-3-small</c> (embedding, model
    /// <c>text-embedding-3-small</c>).
    /// </summary>
    public Dictionary<string, EmulatorDeployment> Deployments { get; } = new(StringComparer.Ordinal)
    {
        ["gpt-4o-mini"] = new EmulatorDeployment { Kind = EmulatorDeploymentKind.Chat, Model = EmulatorDeployment.DefaultChatModel },
        ["text-embedding-3-small"] = new EmulatorDeployment { Kind = EmulatorDeploymentKind.Embedding, Model = EmulatorDeployment.DefaultEmbeddingModel },
    };

    /// <summary>
    /// The region's display name, sent in <c>x-ms-region</c> as Azure sends it (<c>East US</c>, not
    /// <c>eastus</c>). The default value is <see langword="null"/>: the display name of
    /// <see cref="Name"/> when it is an Azure region name the emulator knows, else <see cref="Name"/>.
    /// </summary>
    public string? RegionDisplayName { get; set; }

    /// <summary>
    /// The quota of each deployment, by deployment name; a deployment not listed is not limited.
    /// May be changed while the instance runs with <see cref="EmulatorInstance.SetRateLimit"/>.
    /// The default value is empty: nothing is limited.
    /// </summary>
    public Dictionary<string, EmulatorRateLimit> RateLimits { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// The length of the sliding window <see cref="RateLimits"/> are counted over; shorten it in
    /// tests. The default value is 60 seconds, as in Azure.
    /// </summary>
    public TimeSpan RateLimitWindow { get; set; } = EmulatorInstance.DefaultRateLimitWindow;

    /// <summary>
    /// The seed of the random draws of <see cref="EmulatorInstance.InjectErrors"/>, for repeatable
    /// runs. The default value is <see langword="null"/>: a random seed.
    /// </summary>
    public int? FaultSeed { get; set; }
}
