using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Chorus.Grains;

namespace Chorus.Silo;

/// <summary>The TLS certificate of <c>Chorus:Security</c>: a PEM certificate with its key, or a PFX with its password.</summary>
internal static class SiloCertificate
{
    /// <summary>The certificate, or null when none is configured (plaintext); a bad file fails naming it.</summary>
    public static X509Certificate2? Load(SecurityOptions security)
    {
        var path = security.CertificatePath;
        if (string.IsNullOrWhiteSpace(path)) return null;
        X509Certificate2 certificate;
        try
        {
            certificate = IsPkcs12(path)
                ? X509CertificateLoader.LoadPkcs12FromFile(path, security.CertificatePassword)
                : string.IsNullOrEmpty(security.CertificatePassword)
                    ? X509Certificate2.CreateFromPemFile(path, security.CertificateKeyPath)
                    : X509Certificate2.CreateFromEncryptedPemFile(path, security.CertificatePassword, security.CertificateKeyPath);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            var key = security.CertificateKeyPath is { } k ? $" (key '{k}')" : "";
            throw new InvalidOperationException($"Chorus:Security:CertificatePath '{path}'{key} is not a usable certificate: {e.Message}", e);
        }
        if (!certificate.HasPrivateKey)
        {
            certificate.Dispose();
            throw new InvalidOperationException($"Chorus:Security:CertificatePath '{path}' has no private key: set Chorus:Security:CertificateKeyPath to its PEM key file");
        }
        if (security.SiloTls && !AllowsClientAuthentication(certificate))
        {
            certificate.Dispose();
            throw new InvalidOperationException($"Chorus:Security:CertificatePath '{path}' cannot serve Chorus:Security:SiloTls: silos also connect to their peers "
                + $"with it, but its extended key usage lacks client authentication ({ClientAuthentication})");
        }
        return certificate;
    }

    /// <summary>Silo-to-silo TLS: every silo holds the same certificate, so a peer is trusted when it shows exactly that one.</summary>
    public static bool IsSameCertificate(X509Certificate2 own, X509Certificate2? remote) =>
        remote is not null && CryptographicOperations.FixedTimeEquals(own.GetCertHash(HashAlgorithmName.SHA256), remote.GetCertHash(HashAlgorithmName.SHA256));

    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    // no extended key usage at all means any usage
    private static bool AllowsClientAuthentication(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is not { } usages
        || usages.EnhancedKeyUsages.Cast<Oid>().Any(u => u.Value == ClientAuthentication);

    private static bool IsPkcs12(string path) =>
        Path.GetExtension(path).ToLowerInvariant() is ".pfx" or ".p12";
}
