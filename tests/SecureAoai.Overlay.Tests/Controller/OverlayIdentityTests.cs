using SecureAoai.Overlay.Controller;

namespace SecureAoai.Overlay.Tests.Controller;

public sealed class OverlayIdentityTests : IDisposable
{
    private readonly string _directory = OverlayFixture.NewTempDirectory();

    public OverlayIdentityTests() => Directory.CreateDirectory(_directory);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Load_MissingFile_ThrowsFileNotFoundSayingEnrollInLibraryTerms()
    {
        var ex = Assert.Throws<FileNotFoundException>(() => OverlayIdentity.Load(Path.Combine(_directory, "none.json")));
        Assert.Contains("enroll first", ex.Message, StringComparison.Ordinal);
        // No command line: the path itself holds "secureaoai" (the temp folder's name), so look for the CLI's words.
        Assert.DoesNotContain("secureaoai overlay", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("--", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MalformedJson_ThrowsInvalidData()
    {
        var path = Path.Combine(_directory, "bad.json");
        SecretFile.WriteNew(path, "{ not json");

        Assert.Throws<InvalidDataException>(() => OverlayIdentity.Load(path));
    }

    [Fact]
    public void Load_MissingField_ThrowsNamingIt()
    {
        var path = Path.Combine(_directory, "partial.json");
        SecretFile.WriteNew(path, """{ "name": "alice", "controller": "127.0.0.1:1" }""");

        var ex = Assert.Throws<InvalidDataException>(() => OverlayIdentity.Load(path));
        Assert.Contains("\"ca\"", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ReadableByGroup_ThrowsWithChmodFix()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // Unix file modes only.
        }

        var path = Path.Combine(_directory, "open.json");
        File.WriteAllText(path, "{}");
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);

        var ex = Assert.Throws<InvalidDataException>(() => OverlayIdentity.Load(path));
        Assert.Contains("chmod 600", ex.Message, StringComparison.Ordinal);
    }
}
