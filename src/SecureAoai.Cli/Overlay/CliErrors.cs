using SecureAoai.Overlay;

namespace SecureAoai.Cli.Overlay;

/// <summary>
/// Turns the library's exceptions, which speak of parameters and types, into what a person at the
/// command line acts on: the flag to change, the command to run. Decided by each exception's typed
/// reason and parameter name, never by its words.
/// </summary>
internal static class CliErrors
{
    /// <summary>The flag (or argument) each library parameter comes from.</summary>
    private static readonly Dictionary<string, string> Flags = new(StringComparer.Ordinal)
    {
        ["name"] = "NAME",
        ["identityName"] = "NAME",
        ["routerName"] = "NAME",
        ["roles"] = "--roles",
        ["identityRoles"] = "--identity-roles",
        ["serviceRoles"] = "--service-roles",
        ["routerRoles"] = "--router-roles",
        ["lifetime"] = "--expires",
        ["controllerAddress"] = "--controller",
        ["directory"] = "--dir",
        ["listenAddress"] = "--listen",
    };

    /// <summary>What to print for an administrative failure, and the exit code: 2 for a bad value, 1 otherwise.</summary>
    /// <param name="ex">The failure.</param>
    /// <param name="listKind">What <c>secureaoai overlay list</c> shows for the kind of entity the command works on (identities, routers, ...).</param>
    public static (string Text, int ExitCode) Describe(OverlayAdministrationException ex, string? listKind)
    {
        switch (ex.Problem)
        {
            case OverlayAdministrationProblem.NotInitialized:
                return ($"No overlay in '{ex.Value}'. Run 'secureaoai overlay init --dir {ex.Value} --controller HOST:PORT' first, or pass the right --dir.", CliApp.ProblemFound);
            case OverlayAdministrationProblem.AlreadyInitialized:
                return ($"An overlay already exists in '{ex.Value}'; refusing to overwrite it. Use another --dir.", CliApp.ProblemFound);
            case OverlayAdministrationProblem.NotFound:
                return (listKind is null ? ex.Message : $"{ex.Message} List them with 'secureaoai overlay list {listKind} --dir DIR'.", CliApp.ProblemFound);
            case OverlayAdministrationProblem.InvalidValue:
                var flag = ex.Parameter is not null && Flags.TryGetValue(ex.Parameter, out var known) ? known : null;
                var text = flag is null ? ex.Message : ex.Value is null ? $"{flag}: {ex.Message}" : $"{flag} '{ex.Value}': {ex.Message}";
                return (text, CliApp.UsageError);
            default:
                return (ex.Message, CliApp.ProblemFound);
        }
    }

    /// <summary>What to print when enrolling failed: the token's kind gets the command that enrolls it.</summary>
    public static string Describe(OverlayEnrollmentException ex, string jwtPath, bool enrollingRouter) => ex.Reason switch
    {
        OverlayEnrollmentFailure.WrongTokenKind when enrollingRouter =>
            $"'{jwtPath}' enrolls an identity, not a router: run 'secureaoai overlay enroll --jwt {jwtPath} --out NAME.json'. Nothing was sent.",
        OverlayEnrollmentFailure.WrongTokenKind =>
            $"'{jwtPath}' enrolls a router, not an identity: run 'secureaoai router enroll --jwt {jwtPath} --out NAME.json --listen HOST:PORT'. Nothing was sent.",
        OverlayEnrollmentFailure.InvalidToken => $"{ex.Message} Use the .jwt file written by 'secureaoai overlay {(enrollingRouter ? "router" : "identity")} create'.",
        _ => ex.Message,
    };

    /// <summary>What to print when an identity file is missing: how to make one.</summary>
    public static string MissingIdentityFile(string path, bool router) => router
        ? $"No router identity file at '{path}'. Enroll the router first: 'secureaoai router enroll --jwt NAME.jwt --out {path} --listen HOST:PORT'."
        : $"No identity file at '{path}'. Enroll first: 'secureaoai overlay enroll --jwt NAME.jwt --out {path}'.";
}
