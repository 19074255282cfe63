namespace Chorus.Llama;

/// <summary>How a model is loaded.</summary>
public sealed record LlamaModelOptions
{
    /// <summary>Layers to offload to the GPU; -1 = all (the llama.cpp default), 0 = CPU only.</summary>
    public int GpuLayers { get; init; } = -1;

    /// <summary>GPU used for the whole model (single-GPU placement).</summary>
    public int MainGpu { get; init; }

    /// <summary>Memory-map the file (read-only weights). Training needs false: mapped weights are not writable.</summary>
    public bool UseMemoryMap { get; init; } = true;

    /// <summary>Validate tensor data while loading (slower; catches NaN/corrupt weights).</summary>
    public bool CheckTensors { get; init; }

    /// <summary>
    /// Let the CPU backend move quantized weights into its extra buffer types, repacked for its fastest kernels (AMX,
    /// AVX-512 VNNI, ARM dot-product layouts): llama.cpp's default. Repacked weights cannot be read back, so a model to be
    /// <see cref="LlamaModel.Save"/>d is loaded with false (on an AMX CPU, llama.cpp's save of a repacked Q8_0 model
    /// crashes the process).
    /// </summary>
    public bool RepackWeights { get; init; } = true;

    /// <summary>Load only the vocabulary (tokenize without weights).</summary>
    public bool VocabularyOnly { get; init; }
}
