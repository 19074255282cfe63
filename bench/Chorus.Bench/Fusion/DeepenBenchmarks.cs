using BenchmarkDotNet.Attributes;
using Chorus.Fusion;

namespace Chorus.Bench.Fusion;

/// <summary>
/// DeePEn's relative space at 152k tokens: the cost of one cold relative row (|A| × dim multiply-adds) and the
/// memory a member's <see cref="RelativeSpace"/> holds (printed by setup; the embedding matrix is the caller's).
/// </summary>
[MemoryDiagnoser]
public class DeepenBenchmarks
{
    private RelativeSpace _space = null!;
    private int _token;

    [Params(32_000, 152_000)]
    public int Anchors { get; set; }

    [Params(64, 512)]
    public int Dimension { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(2);
        const int vocabulary = 152_000;
        var embeddings = FusionBenchData.Embeddings(random, vocabulary, Dimension);
        var anchors = new int[Anchors];
        for (var a = 0; a < anchors.Length; a++) anchors[a] = (int)((long)a * vocabulary / Anchors);
        _space = new RelativeSpace(embeddings, anchors, rowBudgetBytes: 16L * Anchors * 2);
        Console.WriteLine($"// RelativeSpace memory per member: {_space.MemoryBytes / (1024.0 * 1024.0):F2} MiB (|V| = {vocabulary}, |A| = {Anchors}, dim = {Dimension})");
    }

    /// <summary>One dense row computed from scratch (the cache holds 16 rows; tokens stride through the vocabulary).</summary>
    [Benchmark]
    public int ColdRow()
    {
        _token = (_token + 9_973) % 152_000;
        return _space.Row(_token).Values.Length;
    }
}
