using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>llama.h <c>struct llama_context_params</c> (v0.5.0), field for field.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaContextParams
{
    public uint NCtx;
    public uint NBatch;
    public uint NUbatch;
    public uint NSeqMax;
    public uint NRsSeq;
    public uint NOutputsMax;
    public uint NOutputsMaxPerSeq;
    public int NThreads;
    public int NThreadsBatch;
    public int CtxType;
    public int RopeScalingType;
    public int PoolingType;
    public int AttentionType;
    public int FlashAttnType;
    public float RopeFreqBase;
    public float RopeFreqScale;
    public float YarnExtFactor;
    public float YarnAttnFactor;
    public float YarnBetaFast;
    public float YarnBetaSlow;
    public uint YarnOrigCtx;
    public float DefragThold;
    public nint CbEval;
    public nint CbEvalUserData;
    public GgmlType TypeK;
    public GgmlType TypeV;
    public nint AbortCallback;
    public nint AbortCallbackData;
    private byte _embeddings;
    private byte _offloadKqv;
    private byte _noPerf;
    private byte _opOffload;
    private byte _swaFull;
    private byte _kvUnified;
    public nint Samplers;
    public nuint NSamplers;
    public nint CtxOther;

    public bool Embeddings { readonly get => _embeddings != 0; set => _embeddings = (byte)(value ? 1 : 0); }
    public bool OffloadKqv { readonly get => _offloadKqv != 0; set => _offloadKqv = (byte)(value ? 1 : 0); }
    public bool NoPerf { readonly get => _noPerf != 0; set => _noPerf = (byte)(value ? 1 : 0); }
    public bool OpOffload { readonly get => _opOffload != 0; set => _opOffload = (byte)(value ? 1 : 0); }
    public bool SwaFull { readonly get => _swaFull != 0; set => _swaFull = (byte)(value ? 1 : 0); }
    public bool KvUnified { readonly get => _kvUnified != 0; set => _kvUnified = (byte)(value ? 1 : 0); }
}

/// <summary>llama.h <c>enum llama_flash_attn_type</c>.</summary>
internal enum LlamaFlashAttnType
{
    Auto = -1, Disabled = 0, Enabled = 1,
}
