using Chorus.Primitives;
using Chorus.Llama.Gguf;

namespace Chorus.Llama;

/// <summary>What a model can hand to another process: its tokenizer alone, and its token-embedding matrix.</summary>
public static class ModelExports
{
    /// <summary>A vocabulary-only GGUF of the model (every metadata key, no tensors): loads with <see cref="LlamaModel.LoadVocabularyOnly"/>.</summary>
    public static byte[] TokenizerGguf(string modelPath)
    {
        using var source = GgufFile.Open(modelPath);
        var temp = Path.Combine(Path.GetTempPath(), $"chorus-vocab-{Guid.NewGuid():N}.gguf");
        try
        {
            using (var writer = GgufWriter.Create(temp, source.Metadata, []))
                writer.Complete();
            return File.ReadAllBytes(temp);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>The token-embedding matrix (<c>token_embd.weight</c>) dequantised to float, one row per token.</summary>
    public static TokenEmbeddings TokenEmbeddings(string modelPath)
    {
        var (data, dimension) = TokenEmbeddingData(modelPath);
        return new TokenEmbeddings(data, dimension);
    }

    /// <summary>The raw token-embedding matrix and its row width.</summary>
    public static (float[] Data, int Dimension) TokenEmbeddingData(string modelPath)
    {
        using var file = GgufFile.Open(modelPath);
        var tensor = file.GetTensor("token_embd.weight");
        return (file.Dequantize("token_embd.weight"), (int)tensor.Dimensions[0]);
    }
}
