using Chorus.Llama.Gguf;

namespace Chorus.Llama.Forge;

/// <summary>One tensor of a synthetic model and how it is initialised: N(0, std²), or all ones for a norm.</summary>
internal sealed record SyntheticTensor(GgufTensorSpec Spec, double Std, bool Ones = false)
{
    public string Name => Spec.Name;
}

/// <summary>The tensors of a llama-architecture model (names and ggml shapes as llama.cpp's loader expects them).</summary>
internal static class SyntheticTensorPlan
{
    private const double WeightStd = 0.02;

    public static List<SyntheticTensor> For(SyntheticModelSpec spec, int vocabularySize)
    {
        long embd = spec.Embedding, ff = spec.FeedForward, kv = spec.KvEmbedding, vocab = vocabularySize;
        var matrix = spec.Type.ToGgmlType();
        // Residual-branch outputs are scaled down so the stream's variance does not grow with depth.
        var residualStd = WeightStd / Math.Sqrt(2.0 * spec.Layers);
        var tensors = new List<SyntheticTensor> { Matrix("token_embd.weight", embd, vocab, 1.0) };
        for (var layer = 0; layer < spec.Layers; layer++)
        {
            var blk = $"blk.{layer}.";
            tensors.Add(Norm(blk + "attn_norm.weight", embd));
            tensors.Add(Matrix(blk + "attn_q.weight", embd, embd, WeightStd));
            tensors.Add(Matrix(blk + "attn_k.weight", embd, kv, WeightStd));
            tensors.Add(Matrix(blk + "attn_v.weight", embd, kv, WeightStd));
            tensors.Add(Matrix(blk + "attn_output.weight", embd, embd, residualStd));
            tensors.Add(Norm(blk + "ffn_norm.weight", embd));
            tensors.Add(Matrix(blk + "ffn_gate.weight", embd, ff, WeightStd));
            tensors.Add(Matrix(blk + "ffn_up.weight", embd, ff, WeightStd));
            tensors.Add(Matrix(blk + "ffn_down.weight", ff, embd, residualStd));
        }
        tensors.Add(Norm("output_norm.weight", embd));
        tensors.Add(Matrix("output.weight", embd, vocab, spec.LogitStd / Math.Sqrt(embd)));
        return tensors;

        SyntheticTensor Matrix(string name, long ne0, long ne1, double std) => new(new GgufTensorSpec(name, [ne0, ne1], matrix), std);
        static SyntheticTensor Norm(string name, long n) => new(new GgufTensorSpec(name, [n], Native.GgmlType.F32), 0, Ones: true);
    }
}
