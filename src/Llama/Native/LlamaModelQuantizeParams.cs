using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>llama.h <c>struct llama_model_quantize_params</c> (v0.5.0), field for field.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaModelQuantizeParams
{
    public int NThread;
    public LlamaFileType FileType;
    public GgmlType OutputTensorType;
    public GgmlType TokenEmbeddingType;
    private byte _allowRequantize;
    private byte _quantizeOutputTensor;
    private byte _onlyCopy;
    private byte _pure;
    private byte _keepSplit;
    private byte _dryRun;
    public nint Imatrix;
    public nint KvOverrides;
    public nint TtOverrides;
    public nint PruneLayers;
    public nuint MaxBufSize;

    public bool AllowRequantize { readonly get => _allowRequantize != 0; set => _allowRequantize = (byte)(value ? 1 : 0); }
    public bool QuantizeOutputTensor { readonly get => _quantizeOutputTensor != 0; set => _quantizeOutputTensor = (byte)(value ? 1 : 0); }
    public bool OnlyCopy { readonly get => _onlyCopy != 0; set => _onlyCopy = (byte)(value ? 1 : 0); }
    public bool Pure { readonly get => _pure != 0; set => _pure = (byte)(value ? 1 : 0); }
    public bool KeepSplit { readonly get => _keepSplit != 0; set => _keepSplit = (byte)(value ? 1 : 0); }
    public bool DryRun { readonly get => _dryRun != 0; set => _dryRun = (byte)(value ? 1 : 0); }
}
