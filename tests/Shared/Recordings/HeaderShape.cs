namespace SecureAoai.Testing.Recordings;

/// <summary>
/// Compares response header names (case-insensitive) with a recording's: every recorded header
/// must be sent, and nothing else unless it is permitted, each allowance with its reason.
/// </summary>
internal static class HeaderShape
{
    /// <summary>Headers about the wire, not the answer: how the body is framed and the connection kept.</summary>
    public static readonly IReadOnlyDictionary<string, string> Framing = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["Content-Length"] = "framing: a buffered body has a length, a streamed one is chunked; either frames the same answer",
        ["Transfer-Encoding"] = "framing: see Content-Length",
        ["Connection"] = "connection management of the front end, not part of the answer",
        ["Date"] = "sent by every HTTP server",
    };

    /// <summary>Timings and instance ids of Azure's serving stack, which no client reads; the emulator does not invent them.</summary>
    public static readonly IReadOnlyDictionary<string, string> ServingStack = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["azureml-model-session"] = "the id of the model server instance that answered",
        ["x-envoy-upstream-service-time"] = "the proxy's timing of the model server",
        ["cmp-upstream-response-duration"] = "the proxy's timing of the model server",
        ["ms-azureml-model-time"] = "the model server's timing",
    };

    /// <summary>Every difference in header names, one line each; empty when they agree.</summary>
    public static IReadOnlyList<string> Differences(IEnumerable<string> recorded, IEnumerable<string> actual, IEnumerable<string> permittedExtras)
    {
        bool Allowed(string name) => Framing.ContainsKey(name) || ServingStack.ContainsKey(name);
        var actualNames = actual.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var recordedNames = recorded.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var permitted = permittedExtras.ToHashSet(StringComparer.OrdinalIgnoreCase);
        var differences = new List<string>();
        differences.AddRange(recordedNames.Where(n => !actualNames.Contains(n) && !Allowed(n)).Order(StringComparer.OrdinalIgnoreCase).Select(n => $"header {n}: recorded, missing"));
        differences.AddRange(actualNames.Where(n => !recordedNames.Contains(n) && !permitted.Contains(n) && !Allowed(n)).Order(StringComparer.OrdinalIgnoreCase).Select(n => $"header {n}: not in the recording"));
        return differences;
    }

    public static void AssertSameNames(IEnumerable<string> recorded, IEnumerable<string> actual, IEnumerable<string> permittedExtras, string what)
    {
        IReadOnlyList<string> differences = Differences(recorded, actual, permittedExtras);
        if (differences.Count > 0)
        {
            Assert.Fail($"{what}: the headers differ from the recording's:\n  " + string.Join("\n  ", differences));
        }
    }
}
