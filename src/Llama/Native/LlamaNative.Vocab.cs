using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>Vocabulary: tokenization, pieces and special tokens. A vocab pointer lives as long as its model.</summary>
internal static unsafe partial class LlamaNative
{
    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_vocab_type(nint vocab);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_vocab_n_tokens(nint vocab);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial byte* llama_vocab_get_text(nint vocab, int token);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_vocab_get_attr(nint vocab, int token);

    [LibraryImport(NativeLibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_is_eog(nint vocab, int token);

    [LibraryImport(NativeLibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_is_control(nint vocab, int token);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_vocab_bos(nint vocab);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_vocab_eos(nint vocab);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_vocab_eot(nint vocab);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_vocab_nl(nint vocab);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_vocab_pad(nint vocab);

    [LibraryImport(NativeLibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_get_add_bos(nint vocab);

    [LibraryImport(NativeLibraryNames.Llama)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool llama_vocab_get_add_eos(nint vocab);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_tokenize(nint vocab, byte* text, int textLen, int* tokens, int nTokensMax,
        [MarshalAs(UnmanagedType.U1)] bool addSpecial, [MarshalAs(UnmanagedType.U1)] bool parseSpecial);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_token_to_piece(nint vocab, int token, byte* buf, int length, int lstrip,
        [MarshalAs(UnmanagedType.U1)] bool special);

    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_detokenize(nint vocab, int* tokens, int nTokens, byte* text, int textLenMax,
        [MarshalAs(UnmanagedType.U1)] bool removeSpecial, [MarshalAs(UnmanagedType.U1)] bool unparseSpecial);
}
