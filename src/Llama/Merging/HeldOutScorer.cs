namespace Chorus.Llama.Merging;

/// <summary>Bits per byte of one held-out text under a GGUF model, through the real engine (TextScorer's strided windows).</summary>
public sealed class HeldOutScorer(string text, int threads = 0, int gpuLayers = 0)
{
    public string Text { get; } = text;

    public double BitsPerByte(string modelPath)
    {
        using var model = LlamaModel.Load(modelPath, new LlamaModelOptions { GpuLayers = gpuLayers });
        var context = Math.Min(model.TrainedContextLength, 2048);
        using var runner = new ModelRunner(model, new LlamaContextOptions { ContextSize = context, BatchSize = context, MaxSequences = 1, Threads = threads });
        return TextScorer.Score(runner, Text).BitsPerByte;
    }
}
