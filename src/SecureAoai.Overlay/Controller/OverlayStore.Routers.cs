using System.Globalization;
using Microsoft.Data.Sqlite;

namespace SecureAoai.Overlay.Controller;

/// <summary>The routers and their one-time enrollment tokens.</summary>
internal sealed partial class OverlayStore
{
    private const string RouterColumns = "SELECT id, name, roles, address, cert_thumbprint, revoked, embedded, created FROM routers ";

    public RouterRecord AddRouter(string name, IReadOnlyList<string> roles, DateTimeOffset now)
    {
        var record = new RouterRecord(NewId(), name, roles, null, null, false, false, now);
        using var connection = Connect();
        InsertUnique(connection, "router", name, "INSERT INTO routers (id, name, roles, created) VALUES ($id, $name, $roles, $created)",
            ("$id", record.Id), ("$name", name), ("$roles", Join(roles)), ("$created", Format(now)));
        return record;
    }

    public RouterRecord? FindRouter(string name) => First(Routers("WHERE name = $v", name));

    public RouterRecord? FindRouterByThumbprint(string thumbprint) => First(Routers("WHERE cert_thumbprint = $v", thumbprint));

    public IReadOnlyList<RouterRecord> ListRouters() => Routers(string.Empty, null);

    /// <summary>Marks the router revoked and voids its unused tokens; false when no router has that name.</summary>
    public bool RevokeRouter(string name)
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        var changed = Execute(connection, transaction, "UPDATE routers SET revoked = 1 WHERE name = $n", ("$n", name));
        Execute(connection, transaction, "DELETE FROM router_enrollment_tokens WHERE used_at IS NULL AND router_id IN (SELECT id FROM routers WHERE name = $n)", ("$n", name));
        transaction.Commit();
        return changed == 1;
    }

    /// <summary>Deletes the router and its tokens; its certificate is then nobody's. False when no router has that name.</summary>
    public bool DeleteRouter(string name)
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        Execute(connection, transaction, "DELETE FROM router_enrollment_tokens WHERE router_id IN (SELECT id FROM routers WHERE name = $n)", ("$n", name));
        var deleted = Execute(connection, transaction, "DELETE FROM routers WHERE name = $n", ("$n", name));
        transaction.Commit();
        return deleted == 1;
    }

    public void AddRouterEnrollmentToken(string jti, string routerId, DateTimeOffset expires)
    {
        using var connection = Connect();
        Execute(connection, null, "INSERT INTO router_enrollment_tokens (jti, router_id, expires) VALUES ($j, $r, $e)", ("$j", jti), ("$r", routerId), ("$e", Format(expires)));
    }

    /// <summary>
    /// Redeems a router's one-time token: in one transaction, marks it used (only if unused, unexpired
    /// and for that router, which must be neither revoked nor enrolled), calls <paramref name="issue"/>
    /// and records the certificate it returns and the address the router serves. Returns null on
    /// success or the reason the token was refused.
    /// </summary>
    public string? RedeemRouterEnrollmentToken(string jti, string routerId, string address, DateTimeOffset now, Func<RouterRecord, (string Serial, string Thumbprint)> issue)
    {
        ArgumentNullException.ThrowIfNull(issue);
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        var marked = Execute(connection, transaction,
            "UPDATE router_enrollment_tokens SET used_at = $now WHERE jti = $j AND router_id = $r AND used_at IS NULL AND expires > $now",
            ("$now", Format(now)), ("$j", jti), ("$r", routerId));
        if (marked != 1)
        {
            return "The router enrollment token was already used, has expired, or is unknown to this controller. Ask the overlay's administrator for a new one.";
        }

        var router = First(Routers(connection, transaction, "WHERE id = $v", routerId));
        if (router is null || router.IsRevoked)
        {
            return "The router for this token does not exist or is revoked.";
        }

        if (router.IsEnrolled)
        {
            return $"Router '{router.Name}' is already enrolled.";
        }

        var (serial, thumbprint) = issue(router);
        Execute(connection, transaction, "UPDATE routers SET cert_serial = $s, cert_thumbprint = $t, address = $a WHERE id = $r",
            ("$s", serial), ("$t", thumbprint), ("$a", address), ("$r", routerId));
        transaction.Commit();
        return null;
    }

    /// <summary>
    /// Records a router that runs inside the controller's process: creates it (or updates the one of
    /// that name created this way before) with these roles and certificate, and no address until
    /// <see cref="SetRouterAddress"/>.
    /// </summary>
    /// <exception cref="OverlayAdministrationException">A router of that name was enrolled from a token.</exception>
    public RouterRecord SaveEmbeddedRouter(string name, IReadOnlyList<string> roles, string serial, string thumbprint, DateTimeOffset now)
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        var existing = First(Routers(connection, transaction, "WHERE name = $v", name));
        if (existing is { IsEmbedded: false })
        {
            throw new OverlayAdministrationException(OverlayAdministrationProblem.AlreadyExists,
                $"A router named '{name}' is enrolled from a token; give the router that runs in the controller's process another name.", "name", name);
        }

        if (existing is null)
        {
            Execute(connection, transaction,
                "INSERT INTO routers (id, name, roles, cert_serial, cert_thumbprint, embedded, created) VALUES ($id, $name, $roles, $s, $t, 1, $created)",
                ("$id", NewId()), ("$name", name), ("$roles", Join(roles)), ("$s", serial), ("$t", thumbprint), ("$created", Format(now)));
        }
        else
        {
            Execute(connection, transaction, "UPDATE routers SET roles = $roles, cert_serial = $s, cert_thumbprint = $t, address = NULL, revoked = 0 WHERE id = $id",
                ("$roles", Join(roles)), ("$s", serial), ("$t", thumbprint), ("$id", existing.Id));
        }

        var saved = First(Routers(connection, transaction, "WHERE name = $v", name))!;
        transaction.Commit();
        return saved;
    }

    /// <summary>Records where identities reach the router (<c>HOST:PORT</c>).</summary>
    public void SetRouterAddress(string name, string address)
    {
        using var connection = Connect();
        Execute(connection, null, "UPDATE routers SET address = $a WHERE name = $n", ("$a", address), ("$n", name));
    }

    private List<RouterRecord> Routers(string where, string? value)
    {
        using var connection = Connect();
        return Routers(connection, null, where, value);
    }

    private static List<RouterRecord> Routers(SqliteConnection connection, SqliteTransaction? transaction, string where, string? value) =>
        Read(connection, transaction, RouterColumns + where + " ORDER BY name", value is null ? [] : [("$v", value)],
            r => new RouterRecord(r.GetString(0), r.GetString(1), Split(r.GetString(2)), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                r.GetInt64(5) != 0, r.GetInt64(6) != 0, DateTimeOffset.Parse(r.GetString(7), CultureInfo.InvariantCulture)));
}
