namespace Chorus.Grains;

/// <summary>The <c>Chorus:Security</c> section: API keys for the public endpoints and TLS.</summary>
public sealed class SecurityOptions
{
    /// <summary>Accepted API keys (clients send <c>authorization: Bearer &lt;key&gt;</c>). Empty = no authentication.</summary>
    public List<string> ApiKeys { get; set; } = [];

    /// <summary>A file with one API key per line (a mounted Kubernetes secret); read at start-up, added to <see cref="ApiKeys"/>.</summary>
    public string? ApiKeysFile { get; set; }

    /// <summary>Serve without keys on a non-loopback address. Off: such a silo refuses to start.</summary>
    public bool AllowAnonymous { get; set; }

    /// <summary>PEM or PFX certificate for TLS on the public endpoints; none = plaintext.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key file when <see cref="CertificatePath"/> is PEM without its key; none = the key is in that file.</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>The password of a PFX (<c>.pfx</c>/<c>.p12</c>) certificate or of an encrypted PEM key.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// Silo-to-silo TLS (Orleans) with the same certificate: every silo holds it (with client and server authentication
    /// usages: silos connect to each other with it) and trusts a peer that shows exactly it.
    /// </summary>
    public bool SiloTls { get; set; }
}
