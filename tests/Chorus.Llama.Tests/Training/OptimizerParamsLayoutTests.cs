using Chorus.Llama.Native;

namespace Chorus.Llama.Tests.Training;

public sealed unsafe class OptimizerParamsLayoutTests
{
    [Fact]
    public void DefaultOptimizerParametersReadBackFieldForField()
    {
        LlamaBackend.Initialize();
        // ggml's hard-coded defaults: a shifted or mistyped field would put another constant in its place
        var p = LlamaNative.ggml_opt_get_default_optimizer_params(null);
        Assert.Equal(0.001f, p.AdamWAlpha);
        Assert.Equal(0.9f, p.AdamWBeta1);
        Assert.Equal(0.999f, p.AdamWBeta2);
        Assert.Equal(1e-8f, p.AdamWEps);
        Assert.Equal(0f, p.AdamWWeightDecay);
        Assert.Equal(28, sizeof(GgmlOptOptimizerParams));
    }

    [Fact]
    public void ConstantOptimizerParametersEchoEveryField()
    {
        LlamaBackend.Initialize();
        var given = new GgmlOptOptimizerParams
        {
            AdamWAlpha = 1, AdamWBeta1 = 2, AdamWBeta2 = 3, AdamWEps = 4, AdamWWeightDecay = 5, SgdAlpha = 6, SgdWeightDecay = 7,
        };
        var echoed = LlamaNative.ggml_opt_get_constant_optimizer_params(&given);
        Assert.Equal(given, echoed);
    }

    [Fact]
    public void LlamaOptParamsHasTheNativeSize()
    {
        // uint32 n_ctx_train (+4 padding), four pointers, enum optimizer_type (+4 padding)
        Assert.Equal(48, sizeof(LlamaOptParams));
        Assert.True(LlamaNative.llama_opt_param_filter_all(0, null));
    }
}
