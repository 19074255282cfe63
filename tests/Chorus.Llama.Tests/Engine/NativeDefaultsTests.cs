using Chorus.Llama;
using Chorus.Llama.Native;

namespace Chorus.Llama.Tests.Engine;

/// <summary>The default-parameter structs read back what llama.h documents: a field out of place would show here.</summary>
public sealed class NativeDefaultsTests
{
    public NativeDefaultsTests() => LlamaBackend.Initialize();

    [Fact]
    public void Model_params_defaults_match_llama_h()
    {
        var p = LlamaNative.llama_model_default_params();
        Assert.Equal(0, p.Devices);
        Assert.Equal(0, p.TensorBuftOverrides);
        Assert.Equal(-1, p.NGpuLayers);
        Assert.Equal(1, p.SplitMode);          // LLAMA_SPLIT_MODE_LAYER
        Assert.Equal(-1, p.LoadMode);          // LLAMA_LOAD_MODE_AUTO
        Assert.Equal(1, p.LazyMode);           // LLAMA_LAZY_MODE_AUTO
        Assert.Equal(0, p.MainGpu);
        Assert.Equal(0, p.TensorSplit);
        Assert.Equal(0, p.ProgressCallback);
        Assert.Equal(0, p.KvOverrides);
        Assert.False(p.VocabOnly);
        Assert.False(p.CheckTensors);
        Assert.True(p.UseExtraBufts);
        Assert.False(p.NoHost);
        Assert.False(p.NoAlloc);
        Assert.False(p.LoadMtp);
    }

    [Fact]
    public void Context_params_defaults_match_llama_h()
    {
        var p = LlamaNative.llama_context_default_params();
        Assert.Equal(512u, p.NCtx);
        Assert.Equal(2048u, p.NBatch);
        Assert.Equal(512u, p.NUbatch);
        Assert.Equal(1u, p.NSeqMax);
        Assert.Equal(0u, p.NRsSeq);
        Assert.Equal(0u, p.NOutputsMax);
        Assert.Equal(1u, p.NOutputsMaxPerSeq);
        Assert.Equal(4, p.NThreads);           // GGML_DEFAULT_N_THREADS
        Assert.Equal(4, p.NThreadsBatch);
        Assert.Equal(-1, p.RopeScalingType);   // UNSPECIFIED
        Assert.Equal(-1, p.PoolingType);
        Assert.Equal(-1, p.AttentionType);
        Assert.Equal(-1, p.FlashAttnType);     // AUTO
        Assert.Equal(0f, p.RopeFreqBase);
        Assert.Equal(-1f, p.YarnExtFactor);
        Assert.Equal(-1f, p.YarnBetaSlow);
        Assert.Equal(-1f, p.DefragThold);
        Assert.Equal(GgmlType.F16, p.TypeK);
        Assert.Equal(GgmlType.F16, p.TypeV);
        Assert.Equal(0, p.AbortCallback);
        Assert.False(p.Embeddings);
        Assert.True(p.OffloadKqv);
        Assert.True(p.NoPerf);
        Assert.True(p.OpOffload);
        Assert.True(p.SwaFull);
        Assert.False(p.KvUnified);
        Assert.Equal(0, p.Samplers);
        Assert.Equal(0u, p.NSamplers);
        Assert.Equal(0, p.CtxOther);
    }

    [Fact]
    public void Quantize_params_defaults_match_llama_h()
    {
        var p = LlamaNative.llama_model_quantize_default_params();
        Assert.Equal(0, p.NThread);
        Assert.Equal(LlamaFileType.MostlyQ8_0, p.FileType);
        Assert.Equal((GgmlType)43, p.OutputTensorType);      // GGML_TYPE_COUNT = keep default
        Assert.Equal((GgmlType)43, p.TokenEmbeddingType);
        Assert.False(p.AllowRequantize);
        Assert.True(p.QuantizeOutputTensor);
        Assert.False(p.OnlyCopy);
        Assert.False(p.Pure);
        Assert.False(p.KeepSplit);
        Assert.False(p.DryRun);
        Assert.Equal(0, p.Imatrix);
        Assert.Equal(0, p.KvOverrides);
        Assert.Equal(0, p.TtOverrides);
        Assert.Equal(0, p.PruneLayers);
        Assert.Equal(8UL << 30, (ulong)p.MaxBufSize);        // LLAMA_QUANT_MAX_BUF_SIZE, 8 GiB
    }

    [Fact]
    public void Backend_reports_a_cpu_device_and_system_info()
    {
        Assert.Contains(LlamaBackend.Devices, d => d.Kind == "cpu");
        Assert.Contains("CPU", LlamaBackend.SystemInfo, StringComparison.OrdinalIgnoreCase);
        Assert.True(LlamaBackend.MaxParallelSequences >= 16);
    }
}
