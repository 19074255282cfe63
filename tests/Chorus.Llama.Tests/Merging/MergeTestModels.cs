using Chorus.Llama.Forge;
using Chorus.Llama.Tests.Forge;
using Chorus.Llama.Tests.Training;

namespace Chorus.Llama.Tests.Merging;

/// <summary>Small forged models for merging: the zoo's 8k vocabularies keep them ~2 MB each.</summary>
internal static class MergeTestModels
{
    public static string Vocabulary(string name) => System.IO.Path.GetFullPath(System.IO.Path.Combine(Corpora.Zoo, "..", "vocab", name + ".gguf"));

    public static SyntheticModelSpec Spec(ulong seed, string vocabulary = "spm8k", int heads = 4, int embedding = 64, SyntheticWeightType type = SyntheticWeightType.F32) =>
        new(Vocabulary(vocabulary), Layers: 2, Embedding: embedding, Heads: heads, KvHeads: heads, FeedForward: 128, ContextLength: 256, Type: type, Seed: seed);

    public static string Path(ulong seed, string vocabulary = "spm8k", int heads = 4, int embedding = 64, SyntheticWeightType type = SyntheticWeightType.F32) =>
        ForgedTestModels.PathOf(Spec(seed, vocabulary, heads, embedding, type));
}
