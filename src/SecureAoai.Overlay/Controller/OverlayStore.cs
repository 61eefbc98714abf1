using System.Globalization;
using Microsoft.Data.Sqlite;

namespace SecureAoai.Overlay.Controller;

/// <summary>
/// The controller's state in SQLite (<c>overlay.db</c> in the overlay directory): identities,
/// routers, one-time enrollment tokens, services, service and router policies, settings. The schema is
/// created on open; all SQL is parameterized. Each call opens its own short-lived connection, so a
/// CLI in another process sees the same state (revocations included).
/// </summary>
internal sealed partial class OverlayStore : IDisposable
{
    private readonly Lock _versionGate = new();
    private SqliteConnection? _versionConnection;

    public const string FileName = "overlay.db";
    public const string ControllerAddressSetting = "controller_address";

    /// <summary>How long a writer waits for another process's lock before failing.</summary>
    public static readonly TimeSpan BusyTimeout = TimeSpan.FromSeconds(5);

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS identities (
            id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, roles TEXT NOT NULL,
            cert_serial TEXT, cert_thumbprint TEXT UNIQUE, revoked INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS enrollment_tokens (
            jti TEXT PRIMARY KEY, identity_id TEXT NOT NULL REFERENCES identities(id), expires TEXT NOT NULL, used_at TEXT);
        CREATE TABLE IF NOT EXISTS services (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, roles TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS service_policies (
            id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, type TEXT NOT NULL, semantic TEXT NOT NULL,
            identity_roles TEXT NOT NULL, service_roles TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS router_policies (
            id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, semantic TEXT NOT NULL,
            identity_roles TEXT NOT NULL, router_roles TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS routers (
            id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, roles TEXT NOT NULL, address TEXT,
            cert_serial TEXT, cert_thumbprint TEXT UNIQUE, revoked INTEGER NOT NULL DEFAULT 0,
            embedded INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS router_enrollment_tokens (
            jti TEXT PRIMARY KEY, router_id TEXT NOT NULL REFERENCES routers(id), expires TEXT NOT NULL, used_at TEXT);
        """;

    private readonly string _connectionString;

    private OverlayStore(string path)
    {
        Path = path;
        // No pooling: a file handle kept open by a pool would outlive the caller's use of the directory.
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Pooling = false,
            DefaultTimeout = (int)BusyTimeout.TotalSeconds,
        }.ToString();
    }

    public string Path { get; }

    /// <summary>Opens (creating if <paramref name="create"/>) the store in <paramref name="directory"/> and ensures the schema.</summary>
    /// <exception cref="OverlayAdministrationException">Not <paramref name="create"/>, and the directory holds no store.</exception>
    public static OverlayStore Open(string directory, bool create)
    {
        var path = System.IO.Path.Combine(directory, FileName);
        if (!create && !File.Exists(path))
        {
            throw new OverlayAdministrationException(OverlayAdministrationProblem.NotInitialized,
                $"No overlay in '{directory}': it holds no {FileName}. Initialize an overlay there first (OverlayAdministration.Initialize), or open the directory that holds one.", "directory", directory);
        }

        var store = new OverlayStore(path);
        using var connection = store.Connect();
        Execute(connection, null, Schema);
        return store;
    }

    public string? GetSetting(string key)
    {
        using var connection = Connect();
        return Scalar(connection, "SELECT value FROM settings WHERE key = $k", ("$k", key)) as string;
    }

    public void SetSetting(string key, string value)
    {
        using var connection = Connect();
        Execute(connection, null, "INSERT INTO settings (key, value) VALUES ($k, $v) ON CONFLICT(key) DO UPDATE SET value = excluded.value", ("$k", key), ("$v", value));
    }

    public IdentityRecord AddIdentity(string name, IReadOnlyList<string> roles, DateTimeOffset now)
    {
        var record = new IdentityRecord(NewId(), name, roles, null, null, false, now);
        using var connection = Connect();
        InsertUnique(connection, "identity", name, "INSERT INTO identities (id, name, roles, created) VALUES ($id, $name, $roles, $created)",
            ("$id", record.Id), ("$name", name), ("$roles", Join(roles)), ("$created", Format(now)));
        return record;
    }

    public IdentityRecord? FindIdentity(string name) => First(Identities("WHERE name = $v", name));

    public IdentityRecord? FindIdentityById(string id) => First(Identities("WHERE id = $v", id));

    public IdentityRecord? FindIdentityByThumbprint(string thumbprint) => First(Identities("WHERE cert_thumbprint = $v", thumbprint));

    public IReadOnlyList<IdentityRecord> ListIdentities() => Identities(string.Empty, null);

    /// <summary>Marks the identity revoked and voids its unused tokens; false when no identity has that name.</summary>
    public bool RevokeIdentity(string name)
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        var changed = Execute(connection, transaction, "UPDATE identities SET revoked = 1 WHERE name = $n", ("$n", name));
        Execute(connection, transaction, "DELETE FROM enrollment_tokens WHERE used_at IS NULL AND identity_id IN (SELECT id FROM identities WHERE name = $n)", ("$n", name));
        transaction.Commit();
        return changed == 1;
    }

    public void AddEnrollmentToken(string jti, string identityId, DateTimeOffset expires)
    {
        using var connection = Connect();
        Execute(connection, null, "INSERT INTO enrollment_tokens (jti, identity_id, expires) VALUES ($j, $i, $e)", ("$j", jti), ("$i", identityId), ("$e", Format(expires)));
    }

    /// <summary>
    /// Redeems a one-time token: in one transaction, marks it used (only if unused, unexpired and
    /// for that identity, which must be neither revoked nor enrolled), calls
    /// <paramref name="issue"/> and records the certificate it returns. Returns null on success or
    /// the reason the token was refused.
    /// </summary>
    public string? RedeemEnrollmentToken(string jti, string identityId, DateTimeOffset now, Func<IdentityRecord, (string Serial, string Thumbprint)> issue)
    {
        ArgumentNullException.ThrowIfNull(issue);
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        var marked = Execute(connection, transaction,
            "UPDATE enrollment_tokens SET used_at = $now WHERE jti = $j AND identity_id = $i AND used_at IS NULL AND expires > $now",
            ("$now", Format(now)), ("$j", jti), ("$i", identityId));
        if (marked != 1)
        {
            return "The enrollment token was already used, has expired, or is unknown to this controller. Ask the overlay's administrator for a new one.";
        }

        var identity = First(Identities(connection, transaction, "WHERE id = $v", identityId));
        if (identity is null || identity.IsRevoked)
        {
            return "The identity for this token does not exist or is revoked.";
        }

        if (identity.IsEnrolled)
        {
            return $"Identity '{identity.Name}' is already enrolled.";
        }

        var (serial, thumbprint) = issue(identity);
        Execute(connection, transaction, "UPDATE identities SET cert_serial = $s, cert_thumbprint = $t WHERE id = $i", ("$s", serial), ("$t", thumbprint), ("$i", identityId));
        transaction.Commit();
        return null;
    }

    public ServiceRecord AddService(string name, IReadOnlyList<string> roles)
    {
        var record = new ServiceRecord(NewId(), name, roles);
        using var connection = Connect();
        InsertUnique(connection, "service", name, "INSERT INTO services (id, name, roles) VALUES ($id, $name, $roles)", ("$id", record.Id), ("$name", name), ("$roles", Join(roles)));
        return record;
    }

    public ServiceRecord? FindService(string name) => ListServices().FirstOrDefault(s => s.Name == name);

    public IReadOnlyList<ServiceRecord> ListServices()
    {
        using var connection = Connect();
        return Read(connection, null, "SELECT id, name, roles FROM services ORDER BY name", [], r => new ServiceRecord(r.GetString(0), r.GetString(1), Split(r.GetString(2))));
    }

    public ServicePolicyRecord AddServicePolicy(string name, ServicePolicyType type, PolicySemantic semantic, IReadOnlyList<string> identityRoles, IReadOnlyList<string> serviceRoles)
    {
        var record = new ServicePolicyRecord(NewId(), name, type, semantic, identityRoles, serviceRoles);
        using var connection = Connect();
        InsertUnique(connection, "service policy", name,
            "INSERT INTO service_policies (id, name, type, semantic, identity_roles, service_roles) VALUES ($id, $name, $type, $sem, $ir, $sr)",
            ("$id", record.Id), ("$name", name), ("$type", type.ToString()), ("$sem", semantic.ToString()), ("$ir", Join(identityRoles)), ("$sr", Join(serviceRoles)));
        return record;
    }

    public IReadOnlyList<ServicePolicyRecord> ListServicePolicies()
    {
        using var connection = Connect();
        return Read(connection, null, "SELECT id, name, type, semantic, identity_roles, service_roles FROM service_policies ORDER BY name", [],
            r => new ServicePolicyRecord(r.GetString(0), r.GetString(1), Enum.Parse<ServicePolicyType>(r.GetString(2)), Enum.Parse<PolicySemantic>(r.GetString(3)), Split(r.GetString(4)), Split(r.GetString(5))));
    }

    public RouterPolicyRecord AddRouterPolicy(string name, PolicySemantic semantic, IReadOnlyList<string> identityRoles, IReadOnlyList<string> routerRoles)
    {
        var record = new RouterPolicyRecord(NewId(), name, semantic, identityRoles, routerRoles);
        using var connection = Connect();
        InsertUnique(connection, "router policy", name,
            "INSERT INTO router_policies (id, name, semantic, identity_roles, router_roles) VALUES ($id, $name, $sem, $ir, $rr)",
            ("$id", record.Id), ("$name", name), ("$sem", semantic.ToString()), ("$ir", Join(identityRoles)), ("$rr", Join(routerRoles)));
        return record;
    }

    public IReadOnlyList<RouterPolicyRecord> ListRouterPolicies()
    {
        using var connection = Connect();
        return Read(connection, null, "SELECT id, name, semantic, identity_roles, router_roles FROM router_policies ORDER BY name", [],
            r => new RouterPolicyRecord(r.GetString(0), r.GetString(1), Enum.Parse<PolicySemantic>(r.GetString(2)), Split(r.GetString(3)), Split(r.GetString(4))));
    }

    /// <summary>Deletes the service policy or router policy with this name; false when there is none.</summary>
    public bool DeletePolicy(string name)
    {
        using var connection = Connect();
        using var transaction = connection.BeginTransaction();
        var deleted = Execute(connection, transaction, "DELETE FROM service_policies WHERE name = $n", ("$n", name))
            + Execute(connection, transaction, "DELETE FROM router_policies WHERE name = $n", ("$n", name));
        transaction.Commit();
        return deleted > 0;
    }

    /// <summary>A consistent-enough snapshot for policy decisions: all services and service policies.</summary>
    public PolicyEvaluator CreateEvaluator() => new(ListServices(), ListServicePolicies());

    /// <summary>
    /// A number that changes whenever any other connection (this process's writes included, which
    /// use their own) commits to the database: SQLite's <c>PRAGMA data_version</c>, read on one
    /// long-lived connection. Cheap enough to ask on every dial.
    /// </summary>
    public long DataVersion()
    {
        lock (_versionGate)
        {
            _versionConnection ??= Connect();
            return Convert.ToInt64(Scalar(_versionConnection, "PRAGMA data_version"), System.Globalization.CultureInfo.InvariantCulture);
        }
    }

    public void Dispose()
    {
        lock (_versionGate)
        {
            _versionConnection?.Dispose();
            _versionConnection = null;
        }
    }

    private SqliteConnection Connect()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private List<IdentityRecord> Identities(string where, string? value)
    {
        using var connection = Connect();
        return Identities(connection, null, where, value);
    }

    private static List<IdentityRecord> Identities(SqliteConnection connection, SqliteTransaction? transaction, string where, string? value) =>
        Read(connection, transaction, "SELECT id, name, roles, cert_thumbprint, cert_serial, revoked, created FROM identities " + where + " ORDER BY name",
            value is null ? [] : [("$v", value)],
            r => new IdentityRecord(r.GetString(0), r.GetString(1), Split(r.GetString(2)), r.IsDBNull(3) ? null : r.GetString(3), r.IsDBNull(4) ? null : r.GetString(4),
                r.GetInt64(5) != 0, DateTimeOffset.Parse(r.GetString(6), CultureInfo.InvariantCulture)));

    private static void InsertUnique(SqliteConnection connection, string kind, string name, string sql, params (string Name, object Value)[] parameters)
    {
        try
        {
            Execute(connection, null, sql, parameters);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 19)
        {
            throw new OverlayAdministrationException(OverlayAdministrationProblem.AlreadyExists, $"A {kind} named '{name}' already exists; choose another name.", "name", name, ex);
        }
    }

    private static int Execute(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static object? Scalar(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, null, sql, parameters);
        return command.ExecuteScalar();
    }

    private static List<T> Read<T>(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string Name, object Value)[] parameters, Func<SqliteDataReader, T> map)
    {
        using var command = Command(connection, transaction, sql, parameters);
        using var reader = command.ExecuteReader();
        var result = new List<T>();
        while (reader.Read())
        {
            result.Add(map(reader));
        }

        return result;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
#pragma warning disable CA2100 // The SQL text is a constant of this class; values go in as parameters.
        command.CommandText = sql;
#pragma warning restore CA2100
        command.Transaction = transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private static T? First<T>(List<T> items) where T : class => items.Count > 0 ? items[0] : null;

    private static string NewId() => Guid.NewGuid().ToString("N");

    private static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffffffZ", CultureInfo.InvariantCulture);

    private static string Join(IReadOnlyList<string> values) => string.Join(',', values);

    private static string[] Split(string value) => value.Length == 0 ? [] : value.Split(',');
}
