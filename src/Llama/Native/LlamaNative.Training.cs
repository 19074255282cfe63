using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>Training: llama.cpp's <c>llama_opt_*</c> and ggml-opt's datasets, results and optimizer parameters.</summary>
internal static unsafe partial class LlamaNative
{
    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial void llama_opt_init(SafeLlamaContextHandle context, SafeLlamaModelHandle model, LlamaOptParams parameters);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial void llama_opt_epoch(
        SafeLlamaContextHandle context, nint dataset, nint resultTrain, nint resultEval, long idataSplit,
        delegate* unmanaged<byte, nint, nint, nint, long, long, long, void> callbackTrain,
        delegate* unmanaged<byte, nint, nint, nint, long, long, long, void> callbackEval);

    [LibraryImport(NativeLibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_opt_param_filter_all(nint tensor, void* userData);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial GgmlOptOptimizerParams ggml_opt_get_default_optimizer_params(void* userData);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial GgmlOptOptimizerParams ggml_opt_get_constant_optimizer_params(void* userData);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial nint ggml_opt_dataset_init(GgmlType typeData, GgmlType typeLabel, long neDatapoint, long neLabel, long ndata, long ndataShard);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial void ggml_opt_dataset_free(nint dataset);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial long ggml_opt_dataset_ndata(nint dataset);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial nint ggml_opt_dataset_data(nint dataset);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial nint ggml_opt_dataset_labels(nint dataset);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial nint ggml_opt_result_init();

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial void ggml_opt_result_free(nint result);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial void ggml_opt_result_reset(nint result);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial void ggml_opt_result_ndata(nint result, long* ndata);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial void ggml_opt_result_loss(nint result, double* loss, double* uncertainty);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial void* ggml_get_data(nint tensor);

    [LibraryImport(NativeLibraryNames.GgmlBase)]
    public static partial nuint ggml_nbytes(nint tensor);
}

/// <summary>llama.h <c>struct llama_opt_params</c> (v0.5.0), field for field.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaOptParams
{
    public uint NCtxTrain;
    public delegate* unmanaged<nint, void*, byte> ParamFilter;
    public void* ParamFilterUserData;
    public delegate* unmanaged<void*, GgmlOptOptimizerParams> GetOptimizerParams;
    public void* GetOptimizerParamsUserData;
    public GgmlOptOptimizerType OptimizerType;
}

/// <summary>ggml-opt.h <c>struct ggml_opt_optimizer_params</c>: the AdamW block, then the SGD block, all floats.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GgmlOptOptimizerParams
{
    public float AdamWAlpha;
    public float AdamWBeta1;
    public float AdamWBeta2;
    public float AdamWEps;
    public float AdamWWeightDecay;
    public float SgdAlpha;
    public float SgdWeightDecay;
}

/// <summary>ggml-opt.h <c>enum ggml_opt_optimizer_type</c>.</summary>
internal enum GgmlOptOptimizerType
{
    AdamW = 0,
    Sgd = 1,
}
