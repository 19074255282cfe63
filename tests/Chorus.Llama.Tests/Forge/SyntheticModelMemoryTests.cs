using Chorus.Llama.Forge;
using Chorus.Llama.Gguf;

namespace Chorus.Llama.Tests.Forge;

[CollectionDefinition(nameof(AllocationMeasurements), DisableParallelization = true)]
public sealed class AllocationMeasurements;

/// <summary>Forging streams tensor by tensor: allocation stays near one tensor, not the whole model.</summary>
[Collection(nameof(AllocationMeasurements))]
public sealed class SyntheticModelMemoryTests
{
    [Fact]
    public void A_forge_allocates_about_one_tensor_not_the_whole_model()
    {
        var spec = new SyntheticModelSpec("llama-spm", Layers: 6, Embedding: 256, Heads: 4, KvHeads: 4, FeedForward: 1024, ContextLength: 256, Type: SyntheticWeightType.F32);
        var path = Path.Combine(Path.GetTempPath(), $"chorus-memory-{Guid.NewGuid():N}.gguf");
        try
        {
            SyntheticModelForge.Write(spec with { Layers = 1 }, path); // warm up: JIT, vocabulary cache
            var before = GC.GetTotalAllocatedBytes(precise: true);
            var result = SyntheticModelForge.Write(spec, path);
            var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

            var modelFloatBytes = result.Parameters * sizeof(float);
            long largestTensorBytes = 256 * 32000 * sizeof(float);
            using var vocabulary = GgufFile.Open(VocabularyFiles.Resolve("llama-spm"));
            var vocabularyBytes = vocabulary.DataOffset * 4; // strings are UTF-16 in memory plus object headers
            Assert.True(allocated < largestTensorBytes + vocabularyBytes + (8 << 20),
                $"forging {modelFloatBytes >> 20} MiB of weights allocated {allocated >> 20} MiB (largest tensor {largestTensorBytes >> 20} MiB)");
            Assert.True(modelFloatBytes > 2 * largestTensorBytes); // the bound above really excludes holding the model
        }
        finally
        {
            File.Delete(path);
        }
    }
}
