using System.Collections.Concurrent;
using Chorus.Llama.Forge;
using Chorus.Llama.Tests.Forge;
using Chorus.Llama.Tests.Training;

namespace Chorus.Llama.Tests.Merging;

/// <summary>Small forged models for merging, forged once per run under the test binaries: the zoo's 8k vocabularies keep them ~2 MB each.</summary>
internal static class MergeTestModels
{
    private static readonly ConcurrentDictionary<SyntheticModelSpec, Lazy<string>> Forged = new();

    public static string Vocabulary(string name) => System.IO.Path.GetFullPath(System.IO.Path.Combine(Corpora.Zoo, "..", "vocab", name + ".gguf"));

    public static SyntheticModelSpec Spec(ulong seed, string vocabulary = "spm8k", int heads = 4, int embedding = 64) =>
        new(Vocabulary(vocabulary), Layers: 2, Embedding: embedding, Heads: heads, KvHeads: heads, FeedForward: 128, ContextLength: 256, Type: SyntheticWeightType.F32, Seed: seed);

    public static string Path(ulong seed, string vocabulary = "spm8k", int heads = 4, int embedding = 64) =>
        Forged.GetOrAdd(Spec(seed, vocabulary, heads, embedding), spec => new Lazy<string>(() =>
        {
            var path = System.IO.Path.Combine(ForgedTestModels.Folder, $"merge-{vocabulary}-{embedding}-h{heads}-s{seed}.gguf");
            SyntheticModelForge.Write(spec, path);
            return path;
        })).Value;
}
