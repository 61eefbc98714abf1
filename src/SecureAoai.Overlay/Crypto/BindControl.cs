using System.Buffers.Binary;

namespace SecureAoai.Overlay.Crypto;

/// <summary>
/// The messages on a binder's control stream (the stream its bind opened, held open while it serves).
/// The router writes bind grants: each a 4-byte big-endian length and the grant
/// (<see cref="OverlayGrant"/>), the first one as soon as it accepts the bind. The binder writes the
/// single byte <see cref="RenewRequest"/> to ask for a fresh grant; any other byte ends the bind.
/// Closing the stream unbinds.
/// </summary>
internal static class BindControl
{
    /// <summary>The byte a binder sends to ask for a fresh bind grant.</summary>
    public const byte RenewRequest = 0x01;

    /// <summary>Writes one grant.</summary>
    public static async ValueTask WriteGrantAsync(Stream control, byte[] grant, CancellationToken cancellationToken = default)
    {
        byte[] message = new byte[4 + grant.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, grant.Length);
        grant.CopyTo(message, 4);
        await control.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        await control.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads one grant; <see langword="null"/> when the router closed the stream before a new one began.</summary>
    /// <exception cref="IOException">The stream failed, ended inside a grant, or announced more than <see cref="OverlayGrant.MaxBytes"/>.</exception>
    public static async ValueTask<byte[]?> ReadGrantAsync(Stream control, CancellationToken cancellationToken = default)
    {
        byte[] header = new byte[4];
        int read = await control.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken).ConfigureAwait(false);
        if (read == 0)
        {
            return null;
        }

        if (read < header.Length)
        {
            throw new IOException("The bind control stream ended inside a grant's length.");
        }

        int length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is < 1 or > OverlayGrant.MaxBytes)
        {
            throw new IOException($"The router announced a bind grant of {length} bytes; the limit is {OverlayGrant.MaxBytes}.");
        }

        byte[] grant = new byte[length];
        await control.ReadExactlyAsync(grant, cancellationToken).ConfigureAwait(false);
        return grant;
    }
}
