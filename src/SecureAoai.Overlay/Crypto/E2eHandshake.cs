using System.Buffers.Binary;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using SecureAoai.Overlay.Internal;

namespace SecureAoai.Overlay.Crypto;

/// <summary>
/// Agrees end-to-end keys between a dialer and a binder over any stream (typically a
/// <see cref="Protocol.MuxStream"/> a router forwards), so the router relays ciphertext it cannot read.
/// </summary>
/// <remarks>
/// <para>Both sides run the same two steps, each message framed as a 4-byte big-endian length and at
/// most <see cref="MaxMessageBytes"/> long:</para>
/// <list type="number">
/// <item>Send <c>[version 2][65-byte uncompressed P-256 ephemeral public key]</c>, read the peer's.</item>
/// <item>Send <c>[u16 length][identity certificate DER][u16 length][signature][u16 length][grant]</c>,
/// read the peer's. The grant is the binder's bind grant (<see cref="OverlayGrant"/>); the dialer's
/// is empty (its dial grant reaches the binder from the controller through the router). The signature
/// covers <c>"secureaoai-overlay-e2e-v2 dialer"</c> (or <c>binder</c>), the transcript hash
/// SHA-256(<c>"secureaoai-overlay-e2e-v2"</c>, service name, dialer key, binder key) and SHA-256 of the
/// grant field, made with the identity's ECDSA (P1363 format) or RSA-PSS key, SHA-256.</item>
/// </list>
/// <para>Each side checks that the peer certificate chains to the overlay CA alone (custom root trust,
/// no revocation check, no downloads), that <c>checkPeer</c> accepts the certificate and grant, and
/// that the signature verifies, which proves the peer holds the certificate's key now. HKDF-SHA256 over
/// the ECDH secret, salted with the transcript hash, yields one AES-256-GCM key and one 4-byte nonce
/// prefix per direction. Failures throw <see cref="AuthenticationException"/>; a malformed or truncated
/// message throws <see cref="IOException"/>.</para>
/// <para>The ephemeral key may come from an <see cref="EphemeralKeyPool"/> (made ahead of time, used by
/// this handshake alone); every key object the handshake used is disposed, there or by the pool.</para>
/// </remarks>
internal static class E2eHandshake
{
    /// <summary>Largest handshake message accepted (a certificate and a signature fit many times over).</summary>
    public const int MaxMessageBytes = 16 * 1024;

    /// <summary>How long the whole handshake may take, on top of the caller's token.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private const string Context = "secureaoai-overlay-e2e-v2";
    private const byte Version = 2;
    private const int PublicKeyBytes = 65;
    private const int KeyMaterialBytes = (32 + 4) * 2;

    /// <summary>Runs the handshake and returns the sealed stream on success. The returned stream owns <paramref name="inner"/>.</summary>
    /// <param name="inner">The stream to seal, for example a stream a router forwards.</param>
    /// <param name="isDialer"><see langword="true"/> on the side that dialed the service.</param>
    /// <param name="ownCertificateWithKey">This side's identity certificate, with its ECDSA or RSA private key.</param>
    /// <param name="overlayCa">The overlay CA the peer certificate must chain to.</param>
    /// <param name="serviceName">The service dialed; both sides must agree on it.</param>
    /// <param name="ownGrant">The grant this side presents: the binder's bind grant; empty for the dialer.</param>
    /// <param name="checkPeer">
    /// Checks the peer's certificate (already chained to the CA) and the grant it presented, throwing
    /// <see cref="AuthenticationException"/> to refuse (for example, that the binder is entitled to bind
    /// the service); <see langword="null"/> accepts any certificate from the CA.
    /// </param>
    /// <param name="cancellationToken">Cancels the handshake.</param>
    /// <param name="ephemeralKeys">
    /// Where this side's ephemeral key comes from (made ahead of time, used by this handshake alone) and
    /// where the used key goes to be disposed off the dial's path; <see langword="null"/> makes the key
    /// here and disposes it here.
    /// </param>
    /// <exception cref="AuthenticationException">The peer's certificate, grant, signature or key is not acceptable.</exception>
    /// <exception cref="IOException">The peer sent a malformed message or the stream ended.</exception>
    public static async Task<SealedStream> RunAsync(Stream inner, bool isDialer, X509Certificate2 ownCertificateWithKey, X509Certificate2 overlayCa, string serviceName, ReadOnlyMemory<byte> ownGrant, Action<X509Certificate2, ReadOnlyMemory<byte>>? checkPeer, CancellationToken cancellationToken, EphemeralKeyPool? ephemeralKeys = null)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(ownCertificateWithKey);
        ArgumentNullException.ThrowIfNull(overlayCa);
        ArgumentException.ThrowIfNullOrEmpty(serviceName);
        if (!ownCertificateWithKey.HasPrivateKey)
        {
            throw new ArgumentException("The identity certificate must come with its private key.", nameof(ownCertificateWithKey));
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        ECDiffieHellman ephemeral = ephemeralKeys?.Take() ?? ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            return await AgreeAsync(inner, isDialer, ownCertificateWithKey, overlayCa, serviceName, ownGrant, checkPeer, ephemeral, ephemeralKeys, timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            // Used once, whatever the outcome: disposed here or, from a pool, on its background work item.
            Release(ephemeral, ephemeralKeys);
        }
    }

    private static async Task<SealedStream> AgreeAsync(Stream inner, bool isDialer, X509Certificate2 ownCertificateWithKey, X509Certificate2 overlayCa, string serviceName, ReadOnlyMemory<byte> ownGrant, Action<X509Certificate2, ReadOnlyMemory<byte>>? checkPeer, ECDiffieHellman ephemeral, EphemeralKeyPool? ephemeralKeys, CancellationToken token)
    {
        byte[] ownKey = ExportPublicKey(ephemeral);
        await WriteMessageAsync(inner, [Version, .. ownKey], token).ConfigureAwait(false);
        byte[] peerHello = await ReadMessageAsync(inner, token).ConfigureAwait(false);
        if (peerHello.Length != 1 + PublicKeyBytes || peerHello[0] != Version)
        {
            throw new IOException($"The peer's end-to-end hello is malformed or speaks another version ({peerHello.Length} bytes).");
        }

        byte[] peerKey = peerHello[1..];
        byte[] transcript = TranscriptHash(serviceName, isDialer ? ownKey : peerKey, isDialer ? peerKey : ownKey);

        byte[] signature = Sign(ownCertificateWithKey, SignedData(transcript, isDialer, ownGrant.Span));
        byte[] ownDer = ownCertificateWithKey.RawData;
        byte[] proof = new byte[2 + ownDer.Length + 2 + signature.Length + 2 + ownGrant.Length];
        int offset = PutField(proof, 0, ownDer);
        offset = PutField(proof, offset, signature);
        PutField(proof, offset, ownGrant.Span);
        await WriteMessageAsync(inner, proof, token).ConfigureAwait(false);

        byte[] peerProof = await ReadMessageAsync(inner, token).ConfigureAwait(false);
        X509Certificate2 peerCertificate = VerifyPeer(peerProof, overlayCa, checkPeer, transcript, !isDialer);
        try
        {
            ECDiffieHellman peerPublic = ImportPublicKey(peerKey);
            ECDiffieHellmanPublicKey peerPublicKey = peerPublic.PublicKey;
            byte[] secret;
            try
            {
                secret = ephemeral.DeriveRawSecretAgreement(peerPublicKey);
            }
            finally
            {
                // Both hold key handles: left to the finalizer, freeing them cost a fifth of a dial loop's CPU.
                Release(peerPublicKey, ephemeralKeys);
                Release(peerPublic, ephemeralKeys);
            }

            Span<byte> keys = stackalloc byte[KeyMaterialBytes];
            HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, keys, transcript, Encoding.ASCII.GetBytes(Context + " keys"));
            CryptographicOperations.ZeroMemory(secret);

            // Layout: dialer->binder key, binder->dialer key, dialer->binder nonce prefix, binder->dialer nonce prefix.
            ReadOnlySpan<byte> dialerKey = keys[..32];
            ReadOnlySpan<byte> binderKey = keys[32..64];
            ReadOnlySpan<byte> dialerPrefix = keys[64..68];
            ReadOnlySpan<byte> binderPrefix = keys[68..72];
            var sealedStream = isDialer
                ? new SealedStream(inner, dialerKey, dialerPrefix, binderKey, binderPrefix, peerCertificate)
                : new SealedStream(inner, binderKey, binderPrefix, dialerKey, dialerPrefix, peerCertificate);
            CryptographicOperations.ZeroMemory(keys);
            return sealedStream;
        }
        catch
        {
            peerCertificate.Dispose();
            throw;
        }
    }

    private static void Release(IDisposable used, EphemeralKeyPool? ephemeralKeys)
    {
        if (ephemeralKeys is null)
        {
            used.Dispose();
        }
        else
        {
            ephemeralKeys.Retire(used);
        }
    }

    private static X509Certificate2 VerifyPeer(byte[] proof, X509Certificate2 overlayCa, Action<X509Certificate2, ReadOnlyMemory<byte>>? checkPeer, byte[] transcript, bool peerIsDialer)
    {
        int offset = 0;
        if (!TryTakeField(proof, ref offset, out var der) || !TryTakeField(proof, ref offset, out var signature) || !TryTakeField(proof, ref offset, out var grant) || offset != proof.Length)
        {
            throw new IOException("The peer's end-to-end proof is truncated or has the wrong length.");
        }

        X509Certificate2 peer;
        try
        {
            peer = X509CertificateLoader.LoadCertificate(der.Span);
        }
        catch (CryptographicException ex)
        {
            throw new AuthenticationException("The peer's certificate is not a valid X.509 certificate.", ex);
        }

        try
        {
            if (!VerifiedChains.Contains(peer, overlayCa))
            {
                if (!OverlayTrust.TryVerify(peer, overlayCa, usageOid: null, out string problem))
                {
                    throw new AuthenticationException($"The peer's certificate '{peer.Subject}' is refused: {problem} ('{overlayCa.Subject}').");
                }

                VerifiedChains.Add(peer, overlayCa);
            }

            checkPeer?.Invoke(peer, grant);
            if (!Verify(peer, SignedData(transcript, peerIsDialer, grant.Span), signature.Span))
            {
                throw new AuthenticationException($"The signature of '{peer.Subject}' over the end-to-end handshake does not verify: it does not hold the certificate's key.");
            }

            return peer;
        }
        catch
        {
            peer.Dispose();
            throw;
        }
    }

    private static int PutField(byte[] message, int offset, ReadOnlySpan<byte> value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(offset), checked((ushort)value.Length));
        value.CopyTo(message.AsSpan(offset + 2));
        return offset + 2 + value.Length;
    }

    private static bool TryTakeField(byte[] message, ref int offset, out ReadOnlyMemory<byte> field)
    {
        field = ReadOnlyMemory<byte>.Empty;
        if (message.Length - offset < 2)
        {
            return false;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(message.AsSpan(offset));
        if (message.Length - offset - 2 < length)
        {
            return false;
        }

        field = message.AsMemory(offset + 2, length);
        offset += 2 + length;
        return true;
    }

    private static byte[] Sign(X509Certificate2 certificate, byte[] data)
    {
        using ECDsa? ecdsa = certificate.GetECDsaPrivateKey();
        if (ecdsa is not null)
        {
            return ecdsa.SignData(data, HashAlgorithmName.SHA256);
        }

        using RSA? rsa = certificate.GetRSAPrivateKey();
        return rsa is not null
            ? rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pss)
            : throw new ArgumentException("The identity certificate's key is neither ECDSA nor RSA.", nameof(certificate));
    }

    private static bool Verify(X509Certificate2 certificate, byte[] data, ReadOnlySpan<byte> signature)
    {
        using ECDsa? ecdsa = certificate.GetECDsaPublicKey();
        if (ecdsa is not null)
        {
            return ecdsa.VerifyData(data, signature, HashAlgorithmName.SHA256);
        }

        using RSA? rsa = certificate.GetRSAPublicKey();
        return rsa is not null && rsa.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pss);
    }

    private static byte[] SignedData(byte[] transcript, bool dialer, ReadOnlySpan<byte> grant) =>
        [.. Encoding.ASCII.GetBytes(dialer ? Context + " dialer" : Context + " binder"), .. transcript, .. SHA256.HashData(grant)];

    private static byte[] TranscriptHash(string serviceName, byte[] dialerKey, byte[] binderKey)
    {
        byte[] service = Encoding.UTF8.GetBytes(serviceName);
        byte[] serviceLength = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(serviceLength, checked((ushort)service.Length));
        return SHA256.HashData([.. Encoding.ASCII.GetBytes(Context), 0, .. serviceLength, .. service, .. dialerKey, .. binderKey]);
    }

    private static byte[] ExportPublicKey(ECDiffieHellman key)
    {
        ECParameters parameters = key.ExportParameters(includePrivateParameters: false);
        return [0x04, .. parameters.Q.X!, .. parameters.Q.Y!];
    }

    private static ECDiffieHellman ImportPublicKey(byte[] point)
    {
        if (point[0] != 0x04)
        {
            throw new AuthenticationException("The peer's ephemeral key is not an uncompressed P-256 point.");
        }

        try
        {
            return ECDiffieHellman.Create(new ECParameters
            {
                Curve = ECCurve.NamedCurves.nistP256,
                Q = new ECPoint { X = point[1..33], Y = point[33..65] },
            });
        }
        catch (CryptographicException ex)
        {
            throw new AuthenticationException("The peer's ephemeral key is not a valid P-256 point.", ex);
        }
    }

    private static async Task WriteMessageAsync(Stream stream, byte[] body, CancellationToken cancellationToken)
    {
        byte[] message = new byte[4 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(message, body.Length);
        body.CopyTo(message, 4);
        await stream.WriteAsync(message, cancellationToken).ConfigureAwait(false);
        await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<byte[]> ReadMessageAsync(Stream stream, CancellationToken cancellationToken)
    {
        byte[] header = new byte[4];
        await stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
        int length = BinaryPrimitives.ReadInt32BigEndian(header);
        if (length is < 1 or > MaxMessageBytes)
        {
            throw new IOException($"The peer's end-to-end handshake message is {length} bytes; the limit is {MaxMessageBytes}.");
        }

        byte[] body = new byte[length];
        await stream.ReadExactlyAsync(body, cancellationToken).ConfigureAwait(false);
        return body;
    }
}
