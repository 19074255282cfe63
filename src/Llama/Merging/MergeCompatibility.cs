using Chorus.Llama.Gguf;

namespace Chorus.Llama.Merging;

/// <summary>
/// Weight-space merging only makes sense between models of one architecture with the same tensors, shapes, hyper-parameters
/// and vocabulary. This check names the first difference it finds and the two files that differ.
/// </summary>
public static class MergeCompatibility
{
    private const string TokensKey = "tokenizer.ggml.tokens";

    public static void Check(IReadOnlyList<GgufFile> files)
    {
        var problem = FirstProblem(files);
        if (problem is not null) throw new ArgumentException($"cannot merge: {problem}");
    }

    public static string? FirstProblem(IReadOnlyList<GgufFile> files)
    {
        if (files.Count < 2) return null;
        var first = files[0];
        var architecture = first.Architecture;
        if (architecture is null) return $"'{Name(first)}' has no general.architecture";
        foreach (var other in files.Skip(1))
        {
            if (other.Architecture != architecture)
                return $"architecture differs: '{Name(first)}' is {architecture}, '{Name(other)}' is {other.Architecture ?? "(none)"}";
            var problem = HyperParameters(first, other, architecture) ?? Tensors(first, other) ?? Vocabulary(first, other);
            if (problem is not null) return problem;
        }
        return null;
    }

    private static string? HyperParameters(GgufFile a, GgufFile b, string architecture)
    {
        // the context length is a serving limit, not a shape: models trained with different ones still merge
        var prefix = architecture + ".";
        var keys = a.Metadata.Keys.Concat(b.Metadata.Keys)
            .Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && k != prefix + "context_length").Distinct(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            a.Metadata.TryGetValue(key, out var x);
            b.Metadata.TryGetValue(key, out var y);
            if (!Equals(x, y))
                return $"hyper-parameter '{key}' is {x?.ToString() ?? "(absent)"} in '{Name(a)}' but {y?.ToString() ?? "(absent)"} in '{Name(b)}'";
        }
        return null;
    }

    private static string? Tensors(GgufFile a, GgufFile b)
    {
        var missing = a.Tensors.Where(t => !b.TryGetTensor(t.Name, out _)).Select(t => t.Name).ToList();
        if (missing.Count > 0) return $"'{Name(b)}' lacks {missing.Count} tensor(s) of '{Name(a)}': {string.Join(", ", missing.Take(5))}";
        var extra = b.Tensors.Where(t => !a.TryGetTensor(t.Name, out _)).Select(t => t.Name).ToList();
        if (extra.Count > 0) return $"'{Name(b)}' has {extra.Count} tensor(s) '{Name(a)}' lacks: {string.Join(", ", extra.Take(5))}";
        foreach (var t in a.Tensors)
        {
            var u = b.GetTensor(t.Name);
            if (!t.Dimensions.SequenceEqual(u.Dimensions))
                return $"tensor '{t.Name}' is [{string.Join(", ", t.Dimensions)}] in '{Name(a)}' but [{string.Join(", ", u.Dimensions)}] in '{Name(b)}'";
        }
        return null;
    }

    private static string? Vocabulary(GgufFile a, GgufFile b)
    {
        a.Metadata.TryGetValue(TokensKey, out var x);
        b.Metadata.TryGetValue(TokensKey, out var y);
        if (x is null || y is null || Equals(x, y)) return null;
        var ta = x.AsArray<string>();
        var tb = y.AsArray<string>();
        if (ta.Length != tb.Length) return $"vocabularies differ: '{Name(a)}' has {ta.Length} tokens, '{Name(b)}' {tb.Length}";
        var id = Enumerable.Range(0, ta.Length).First(i => ta[i] != tb[i]);
        return $"vocabularies differ: token {id} is '{ta[id]}' in '{Name(a)}' but '{tb[id]}' in '{Name(b)}'";
    }

    private static string Name(GgufFile file) => Path.GetFileName(file.Path);
}
