using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>llama.h <c>struct llama_model_params</c> (v0.5.0), field for field.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LlamaModelParams
{
    public nint Devices;
    public nint TensorBuftOverrides;
    public int NGpuLayers;
    public int SplitMode;
    public int LoadMode;
    public int LazyMode;
    public int MainGpu;
    public nint TensorSplit;
    public nint ProgressCallback;
    public nint ProgressCallbackUserData;
    public nint KvOverrides;
    private byte _vocabOnly;
    private byte _checkTensors;
    private byte _useExtraBufts;
    private byte _noHost;
    private byte _noAlloc;
    private byte _loadMtp;

    public bool VocabOnly { readonly get => _vocabOnly != 0; set => _vocabOnly = (byte)(value ? 1 : 0); }
    public bool CheckTensors { readonly get => _checkTensors != 0; set => _checkTensors = (byte)(value ? 1 : 0); }
    public bool UseExtraBufts { readonly get => _useExtraBufts != 0; set => _useExtraBufts = (byte)(value ? 1 : 0); }
    public bool NoHost { readonly get => _noHost != 0; set => _noHost = (byte)(value ? 1 : 0); }
    public bool NoAlloc { readonly get => _noAlloc != 0; set => _noAlloc = (byte)(value ? 1 : 0); }
    public bool LoadMtp { readonly get => _loadMtp != 0; set => _loadMtp = (byte)(value ? 1 : 0); }
}

/// <summary>llama.h <c>enum llama_load_mode</c>.</summary>
internal enum LlamaLoadMode
{
    Auto = -1, None = 0, Mmap = 1, Mlock = 2, MmapMlock = 3, DirectIo = 4,
}
