using BenchmarkDotNet.Attributes;
using Chorus.Fusion;

namespace Chorus.Bench.Fusion;

/// <summary>
/// Building a MinED map main → member between real llama.cpp vocabularies (exact, marker swap, then the pruned
/// trie edit-distance search on all cores). Setup prints how many tokens each step matched.
/// </summary>
public class MinEdBenchmarks
{
    private InMemoryVocabulary _main = null!;
    private InMemoryVocabulary _member = null!;

    [Params("gpt-2>llama-spm", "llama-spm>gpt-2", "qwen2>gpt-2", "qwen2>llama-spm")]
    public string Pair { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        var models = GgufTokenList.FindModelsDirectory();
        var names = Pair.Split('>');
        _main = new InMemoryVocabulary(GgufTokenList.Read(Path.Combine(models, $"ggml-vocab-{names[0]}.gguf")));
        _member = new InMemoryVocabulary(GgufTokenList.Read(Path.Combine(models, $"ggml-vocab-{names[1]}.gguf")));
        var map = MinEditDistanceMapper.Build(_main, _member);
        Console.WriteLine($"// {Pair}: |main| = {_main.Count}, |member| = {_member.Count}, {map.Statistics}");
    }

    [Benchmark]
    public int Build() => MinEditDistanceMapper.Build(_main, _member).MainVocabularySize;
}
