namespace SecureAoai.Emulator.Internal.DataPlane;

/// <summary>A deployment as the running instance serves it: a snapshot of its <see cref="EmulatorDeployment"/> taken at start.</summary>
internal sealed record EmulatedDeployment(string Name, EmulatorDeploymentKind Kind, string Model, IReadOnlyList<string> OutputFilterTriggers)
{
    public static EmulatedDeployment From(string name, EmulatorDeployment deployment) =>
        new(name, deployment.Kind, deployment.ModelName, [.. deployment.OutputFilterTriggers.Where(t => !string.IsNullOrEmpty(t))]);

    /// <summary>Where in <paramref name="answer"/> the output filter stops it, or <see langword="null"/> when nothing triggers it.</summary>
    public int? OutputFilterIndex(string answer)
    {
        int? first = null;
        foreach (string trigger in OutputFilterTriggers)
        {
            int at = answer.IndexOf(trigger, StringComparison.Ordinal);
            if (at >= 0 && (first is null || at < first))
            {
                first = at;
            }
        }

        return first;
    }
}
