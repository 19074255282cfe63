using Chorus.Llama.Gguf;

namespace Chorus.Llama.Forge;

/// <summary>What <see cref="VocabularyTruncator"/> wrote: the new size and where each kept special token went.</summary>
public sealed record TruncatedVocabulary(string Path, string Model, int SourceSize, int Size, int MergeCount, IReadOnlyDictionary<string, int> MovedTokens);

/// <summary>
/// Cuts a llama.cpp vocabulary to its first N ids and writes a vocabulary-only GGUF. Small vocabularies make tiny models
/// train ~2.7× faster and still tokenize everything through byte fallback (SPM) or byte tokens (BPE). Tokens the tokenizer
/// cannot do without — the special ids named by <c>tokenizer.ggml.*_token_id</c> and SPM's lone word-boundary piece "▁" —
/// are moved into the last ids when they lie beyond the cut. BPE merges survive only when both parts and their result do,
/// so a merge-ordered vocabulary (gpt-2) keeps exactly its first merges.
/// </summary>
public static class VocabularyTruncator
{
    private const string TokensKey = "tokenizer.ggml.tokens";
    private const string ScoresKey = "tokenizer.ggml.scores";
    private const string TypesKey = "tokenizer.ggml.token_type";
    private const string MergesKey = "tokenizer.ggml.merges";
    private const string SpmWordBoundary = "▁";

    /// <summary>Writes the first <paramref name="size"/> ids of <paramref name="source"/> (a name or GGUF path) to <paramref name="outputPath"/>.</summary>
    public static TruncatedVocabulary Write(string source, int size, string outputPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputPath);
        var sourcePath = VocabularyFiles.Resolve(source);
        using var file = GgufFile.Open(sourcePath);
        var metadata = file.Metadata;
        if (!metadata.TryGetValue(TokensKey, out var tokensValue) || tokensValue.ElementType != GgufValueType.String)
            throw new GgufFormatException(sourcePath, $"it has no '{TokensKey}' string array, so it is not a vocabulary file");
        var tokens = tokensValue.AsArray<string>();
        var model = metadata.TryGetValue("tokenizer.ggml.model", out var m) ? m.AsString() : "?";
        if (size < 2 || size > tokens.Length)
            throw new ArgumentOutOfRangeException(nameof(size), size, $"the size must lie in [2, {tokens.Length}] (the size of '{source}')");

        var order = KeptOrder(metadata, tokens, model, size);
        var newId = new Dictionary<int, int>(order.Length);
        for (var i = 0; i < order.Length; i++) newId[order[i]] = i;

        var entries = new List<KeyValuePair<string, GgufValue>>();
        var moved = new Dictionary<string, int>();
        var mergeCount = 0;
        foreach (var (key, value) in metadata)
        {
            if (key == TokensKey) entries.Add(new(key, GgufValue.ArrayOf(order.Select(id => tokens[id]).ToArray())));
            else if (key is ScoresKey or TypesKey) entries.Add(new(key, Reorder(value, order)));
            else if (key == MergesKey)
            {
                var kept = new HashSet<string>(order.Select(id => tokens[id]), StringComparer.Ordinal);
                var merges = value.AsArray<string>().Where(merge => MergeSurvives(merge, kept)).ToArray();
                mergeCount = merges.Length;
                entries.Add(new(key, GgufValue.ArrayOf(merges)));
            }
            else if (IsTokenIdKey(key))
            {
                var id = checked((int)value.AsInt64());
                if (!newId.TryGetValue(id, out var mapped)) continue; // an id the cut dropped and nothing needs
                if (mapped != id) moved[tokens[id]] = mapped;
                entries.Add(new(key, GgufValue.UInt32((uint)mapped)));
            }
            else if (key.EndsWith(".vocab_size", StringComparison.Ordinal)) entries.Add(new(key, GgufValue.UInt32((uint)size)));
            else if (key == "general.name") entries.Add(new(key, GgufValue.String($"{value.AsString()}-{size}")));
            else entries.Add(new(key, value));
        }
        for (var i = 0; i < order.Length; i++)
        {
            if (order[i] != i) moved.TryAdd(tokens[order[i]], i);
        }

        using (var writer = GgufWriter.Create(outputPath, entries, []))
            writer.Complete();
        return new TruncatedVocabulary(Path.GetFullPath(outputPath), model, tokens.Length, size, mergeCount, moved);
    }

    /// <summary>The source ids of the new vocabulary in new-id order: the first ids, then the must-keep ids the cut would drop.</summary>
    private static int[] KeptOrder(IReadOnlyDictionary<string, GgufValue> metadata, string[] tokens, string model, int size)
    {
        var required = new SortedSet<int>();
        foreach (var (key, value) in metadata)
        {
            if (!IsTokenIdKey(key)) continue;
            var id = value.AsInt64();
            if (id >= 0 && id < tokens.Length) required.Add((int)id);
        }
        if (model == "llama")
        {
            var boundary = Array.IndexOf(tokens, SpmWordBoundary);
            if (boundary >= 0) required.Add(boundary);
        }
        // Grow the tail until every required id is either below the cut or in the tail.
        var tail = 0;
        while (required.Count(id => id >= size - tail) > tail) tail = required.Count(id => id >= size - tail);
        if (tail >= size) throw new ArgumentOutOfRangeException(nameof(size), size, $"size {size} cannot hold the {tail} special tokens");
        var moved = required.Where(id => id >= size - tail).ToArray();
        return [.. Enumerable.Range(0, size - tail), .. moved];
    }

    private static bool IsTokenIdKey(string key) =>
        key.StartsWith("tokenizer.ggml.", StringComparison.Ordinal) && key.EndsWith("_token_id", StringComparison.Ordinal);

    private static bool MergeSurvives(string merge, HashSet<string> kept)
    {
        var space = merge.IndexOf(' ', 1);
        if (space < 0) return false;
        var left = merge[..space];
        var right = merge[(space + 1)..];
        return kept.Contains(left) && kept.Contains(right) && kept.Contains(left + right);
    }

    private static GgufValue Reorder(GgufValue value, int[] order) => value.Raw switch
    {
        float[] f => GgufValue.ArrayOf(order.Select(id => f[id]).ToArray()),
        int[] i => GgufValue.ArrayOf(order.Select(id => i[id]).ToArray()),
        uint[] u => GgufValue.ArrayOf(order.Select(id => u[id]).ToArray()),
        _ => throw new NotSupportedException($"cannot reorder a per-token array of {value.ElementType}"),
    };
}
