using System.Text.RegularExpressions;

namespace SecureAoai.Overlay.Controller;

/// <summary>
/// Names, role attributes and role expressions: <c>#attr</c> (has the attribute), <c>@name</c>
/// (that entity), <c>#all</c> (every entity).
/// </summary>
internal static partial class RoleExpressions
{
    public const int MaxNameLength = 64;
    public const int MaxRolesPerEntity = 32;
    public const string All = "#all";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    public static bool IsValidName(string? value) => value is not null && NamePattern().IsMatch(value);

    /// <summary>Refuses a name that is not 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit).</summary>
    /// <exception cref="OverlayAdministrationException">The name is not valid; the exception names <paramref name="parameter"/>.</exception>
    public static void ValidateName(string value, string what, string parameter = "name")
    {
        if (!IsValidName(value))
        {
            throw new OverlayAdministrationException(OverlayAdministrationProblem.InvalidValue,
                $"'{value}' is not a valid {what}: use 1-{MaxNameLength} letters, digits, '.', '_' or '-', starting with a letter or digit.", parameter, value);
        }
    }

    /// <summary>Normalizes role attributes: an optional leading '#' is dropped, duplicates removed.</summary>
    public static IReadOnlyList<string> NormalizeAttributes(IEnumerable<string> attributes, string parameter = "roles")
    {
        ArgumentNullException.ThrowIfNull(attributes, parameter);
        var result = new List<string>();
        foreach (var raw in attributes)
        {
            var attribute = raw.Trim().TrimStart('#');
            if (attribute.Length == 0)
            {
                continue;
            }

            ValidateName(attribute, "role attribute", parameter);
            if (attribute == "all")
            {
                throw new OverlayAdministrationException(OverlayAdministrationProblem.InvalidValue,
                    "'all' is reserved ('#all' matches every entity); choose another role attribute.", parameter, raw);
            }

            if (!result.Contains(attribute, StringComparer.Ordinal))
            {
                result.Add(attribute);
            }
        }

        if (result.Count > MaxRolesPerEntity)
        {
            throw new OverlayAdministrationException(OverlayAdministrationProblem.InvalidValue, $"At most {MaxRolesPerEntity} role attributes per entity.", parameter);
        }

        return result;
    }

    /// <summary>Validates role expressions (<c>#attr</c>, <c>@name</c>, <c>#all</c>); at least one is required.</summary>
    /// <exception cref="OverlayAdministrationException">An expression is not valid, or there are none or too many; the exception names <paramref name="parameter"/>.</exception>
    public static IReadOnlyList<string> NormalizeExpressions(IEnumerable<string> expressions, string parameter)
    {
        ArgumentNullException.ThrowIfNull(expressions, parameter);
        var result = new List<string>();
        foreach (var raw in expressions)
        {
            var expression = raw.Trim();
            if (expression.Length == 0)
            {
                continue;
            }

            if (expression.Length < 2 || (expression[0] != '#' && expression[0] != '@') || !IsValidName(expression[1..]))
            {
                throw new OverlayAdministrationException(OverlayAdministrationProblem.InvalidValue,
                    $"'{expression}' is not a role expression: use '#attribute', '@name' or '#all'.", parameter, expression);
            }

            if (!result.Contains(expression, StringComparer.Ordinal))
            {
                result.Add(expression);
            }
        }

        if (result.Count == 0 || result.Count > MaxRolesPerEntity)
        {
            throw new OverlayAdministrationException(OverlayAdministrationProblem.InvalidValue,
                $"A policy needs 1-{MaxRolesPerEntity} role expressions in each list, such as '#clients', '@chatapp' or '#all'.", parameter);
        }

        return result;
    }

    /// <summary>Whether one expression selects the entity with this name and these attributes.</summary>
    public static bool Matches(string expression, string name, IReadOnlyList<string> attributes)
    {
        if (expression == All)
        {
            return true;
        }

        return expression[0] switch
        {
            '@' => string.Equals(expression[1..], name, StringComparison.Ordinal),
            '#' => attributes.Contains(expression[1..], StringComparer.Ordinal),
            _ => false,
        };
    }

    /// <summary>Whether a role list selects the entity under the semantic; an empty list selects nothing.</summary>
    public static bool Matches(IReadOnlyList<string> expressions, PolicySemantic semantic, string name, IReadOnlyList<string> attributes)
    {
        if (expressions.Count == 0)
        {
            return false;
        }

        return semantic == PolicySemantic.AllOf
            ? expressions.All(e => Matches(e, name, attributes))
            : expressions.Any(e => Matches(e, name, attributes));
    }
}
