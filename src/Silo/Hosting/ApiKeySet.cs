using System.Security.Cryptography;
using System.Text;
using Chorus.Grains;

namespace Chorus.Silo;

/// <summary>
/// The API keys a silo accepts: <c>Chorus:Security:ApiKeys</c> plus the lines of <c>ApiKeysFile</c>. Only SHA-256
/// digests are kept, so checking a key takes the same time whichever key (or none) matches, and at any length.
/// </summary>
public sealed class ApiKeySet
{
    private readonly byte[][] _digests;

    private ApiKeySet(IEnumerable<string> keys) =>
        _digests = keys.Distinct(StringComparer.Ordinal).Select(Digest).ToArray();

    /// <summary>No keys: the API is open.</summary>
    public bool IsEmpty => _digests.Length == 0;

    /// <summary>Reads the configured keys; a missing, unreadable or empty key file fails naming the file.</summary>
    public static ApiKeySet Load(SecurityOptions security)
    {
        ArgumentNullException.ThrowIfNull(security);
        var keys = security.ApiKeys.Select(k => k.Trim()).Where(k => k.Length > 0).ToList();
        if (!string.IsNullOrWhiteSpace(security.ApiKeysFile)) keys.AddRange(ReadFile(security.ApiKeysFile));
        return new ApiKeySet(keys);
    }

    /// <summary>True when <paramref name="key"/> is one of the keys; compares every key in constant time.</summary>
    public bool Accepts(string key)
    {
        var digest = Digest(key);
        var accepted = false;
        foreach (var known in _digests) accepted |= CryptographicOperations.FixedTimeEquals(known, digest);
        return accepted;
    }

    // one key per line; blank lines and # comments are skipped (a Kubernetes secret mounted as a file)
    private static List<string> ReadFile(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Chorus:Security:ApiKeysFile '{path}' cannot be read: {e.Message}", e);
        }
        var keys = lines.Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        return keys.Count > 0 ? keys
            : throw new InvalidOperationException($"Chorus:Security:ApiKeysFile '{path}' holds no key (one key per line; blank and # lines are skipped)");
    }

    private static byte[] Digest(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));
}
