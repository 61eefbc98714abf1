namespace SecureAoai.Overlay;

/// <summary>Writes and checks files that hold a private key: created 0600 (owner read/write only) on Unix.</summary>
internal static class SecretFile
{
    public const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode GroupOrOther =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>Creates <paramref name="path"/> (which must not exist) with mode 0600 from the start, so the secret is never readable by others.</summary>
    public static void WriteNew(string path, string content)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = OwnerOnly;
        }

        try
        {
            using var stream = new FileStream(path, options);
            using var writer = new StreamWriter(stream);
            writer.Write(content);
        }
        catch (IOException ex) when (File.Exists(path))
        {
            throw new InvalidOperationException($"'{path}' already exists; refusing to overwrite a file that may hold a key. Choose another path or remove it first.", ex);
        }

        EnsureOwnerOnly(path);
    }

    /// <summary>Throws when <paramref name="path"/> is readable or writable by group or others (Unix only).</summary>
    public static void EnsureOwnerOnly(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOther) != 0)
        {
            throw new InvalidDataException($"'{path}' holds a private key but its mode is {Convert.ToString((int)mode, 8)}; run 'chmod 600 {path}' so only its owner can read it.");
        }
    }
}
