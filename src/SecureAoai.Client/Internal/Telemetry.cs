using System.Diagnostics;

namespace SecureAoai.Client.Internal;

/// <summary>The telemetry names: one root, "SecureAoai", for activities and metrics.</summary>
internal static class Telemetry
{
    public const string Name = SecureOpenAITelemetry.ActivitySourceName;
    public const string CredentialTag = "secureaoai.credential";

    public static readonly ActivitySource Source = new(Name);
}
