using System.Text.Json;

namespace SecureAoai.Testing.Recordings;

/// <summary>
/// Compares two JSON values by shape, the recording being the expected side: the same object keys,
/// the same kind of value under each (object, array, string, number, boolean, null), array
/// elements shaped like the recorded elements. Values are not compared, with three exceptions that
/// carry meaning in Azure's answers: an empty string or array and a zero are kinds of their own
/// (the first streamed event is <c>"id":""</c>, <c>"created":0</c>, <c>"choices":[]</c>), and the
/// values of <see cref="LiteralKeys"/> (<c>object</c>, <c>role</c>, <c>finish_reason</c>,
/// <c>type</c>) must be equal.
/// </summary>
/// <remarks>
/// Every legitimate difference is an explicit allowance: <see cref="Allow"/> takes a path such as
/// <c>$.choices[].logprobs</c> (array elements are written <c>[]</c>) and the reason, and nothing at
/// or under that path is compared. A literal key whose value legitimately differs is allowed the
/// same way, by its path.
/// </remarks>
internal sealed class JsonShape
{
    /// <summary>Keys whose string values name a type or a state, so they are compared as values.</summary>
    public static readonly IReadOnlySet<string> LiteralKeys = new HashSet<string>(StringComparer.Ordinal) { "object", "role", "finish_reason", "type" };

    private readonly Dictionary<string, string> _allowances = new(StringComparer.Ordinal);

    private enum Kind
    {
        Object,
        Array,
        EmptyArray,
        String,
        EmptyString,
        Number,
        Zero,
        Boolean,
        Null,
    }

    /// <summary>The allowances, path to reason, for a report or a conformance table.</summary>
    public IReadOnlyDictionary<string, string> Allowances => _allowances;

    /// <summary>Stops comparing at and under <paramref name="path"/>, for the stated reason.</summary>
    public JsonShape Allow(string path, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        _allowances[path] = reason;
        return this;
    }

    /// <summary>Every difference between the shapes, one line each, naming the path; empty when they agree.</summary>
    public IReadOnlyList<string> Differences(JsonElement expected, JsonElement actual)
    {
        var differences = new List<string>();
        Compare("$", expected, actual, differences);
        return [.. differences.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>Fails the test, listing every difference, unless the shapes agree.</summary>
    public void AssertSameShape(JsonElement expected, JsonElement actual, string what)
    {
        IReadOnlyList<string> differences = Differences(expected, actual);
        if (differences.Count > 0)
        {
            Assert.Fail($"{what} differs in shape from the recording:\n  " + string.Join("\n  ", differences) + $"\nrecorded: {Clip(expected)}\nactual:   {Clip(actual)}");
        }
    }

    private void Compare(string path, JsonElement expected, JsonElement actual, List<string> differences)
    {
        if (IsAllowed(path))
        {
            return;
        }

        Kind expectedKind = KindOf(expected);
        Kind actualKind = KindOf(actual);
        if (expectedKind != actualKind)
        {
            differences.Add($"{path}: recorded {expectedKind} {Clip(expected)}, got {actualKind} {Clip(actual)}");
            return;
        }

        switch (expectedKind)
        {
            case Kind.Object:
                CompareObjects(path, expected, actual, differences);
                break;
            case Kind.Array:
                int last = expected.GetArrayLength() - 1;
                int index = 0;
                foreach (JsonElement item in actual.EnumerateArray())
                {
                    Compare(path + "[]", expected[Math.Min(index++, last)], item, differences);
                }

                break;
            case Kind.String when LiteralKeys.Contains(LastKey(path)) && expected.GetString() != actual.GetString():
                differences.Add($"{path}: recorded \"{expected.GetString()}\", got \"{actual.GetString()}\"");
                break;
        }
    }

    private void CompareObjects(string path, JsonElement expected, JsonElement actual, List<string> differences)
    {
        var actualKeys = actual.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (JsonProperty property in expected.EnumerateObject())
        {
            string child = path + "." + property.Name;
            if (actual.TryGetProperty(property.Name, out JsonElement value))
            {
                Compare(child, property.Value, value, differences);
            }
            else if (!IsAllowed(child))
            {
                differences.Add($"{child}: recorded, missing");
            }

            actualKeys.Remove(property.Name);
        }

        foreach (string extra in actualKeys.Order(StringComparer.Ordinal))
        {
            string child = path + "." + extra;
            if (!IsAllowed(child))
            {
                differences.Add($"{child}: not in the recording");
            }
        }
    }

    private bool IsAllowed(string path)
    {
        for (string? candidate = path; candidate is not null; candidate = Parent(candidate))
        {
            if (_allowances.ContainsKey(candidate))
            {
                return true;
            }
        }

        return false;
    }

    private static string? Parent(string path)
    {
        if (path.EndsWith("[]", StringComparison.Ordinal))
        {
            return path[..^2];
        }

        int dot = path.LastIndexOf('.');
        return dot > 0 ? path[..dot] : null;
    }

    private static string LastKey(string path) => path[(path.LastIndexOf('.') + 1)..];

    private static Kind KindOf(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => Kind.Object,
        JsonValueKind.Array => value.GetArrayLength() == 0 ? Kind.EmptyArray : Kind.Array,
        JsonValueKind.String => value.GetString()!.Length == 0 ? Kind.EmptyString : Kind.String,
        JsonValueKind.Number => value.GetDouble() == 0 ? Kind.Zero : Kind.Number,
        JsonValueKind.True or JsonValueKind.False => Kind.Boolean,
        _ => Kind.Null,
    };

    private static string Clip(JsonElement value)
    {
        string text = value.GetRawText();
        return text.Length <= 160 ? text : text[..160] + "…";
    }
}
