using System.Collections.Concurrent;
using Chorus.Fusion;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>One <see cref="TokenByteTable"/> per vocabulary (by content hash), built on first use and shared by every byte-level request.</summary>
internal static class TokenByteTables
{
    private static readonly ConcurrentDictionary<string, Lazy<TokenByteTable>> Tables = new(StringComparer.Ordinal);

    public static TokenByteTable For(LlamaVocabulary vocabulary) =>
        Tables.GetOrAdd(vocabulary.ContentHash, _ => new Lazy<TokenByteTable>(() => TokenByteTable.Create(
            vocabulary.Count,
            id => vocabulary.IsControl(id) ? [] : vocabulary.TokenBytes(id),
            vocabulary.IsEndOfGeneration))).Value;
}
