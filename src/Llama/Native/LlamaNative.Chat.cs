using System.Runtime.InteropServices;

namespace Chorus.Llama.Native;

/// <summary>Chat templates: the model's own template and llama.cpp's formatter of the templates it recognises.</summary>
internal static unsafe partial class LlamaNative
{
    /// <summary>The model's chat template (<c>tokenizer.chat_template</c>, or the named one); null when it has none. Owned by the model.</summary>
    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial byte* llama_model_chat_template(SafeLlamaModelHandle model, byte* name);

    /// <summary>Formats messages with a template llama.cpp recognises (by name or by the Jinja text's markers); the formatted length, or -1 for an unknown template.</summary>
    [LibraryImport(NativeLibraryNames.Llama)]
    public static partial int llama_chat_apply_template(byte* tmpl, LlamaChatMessage* chat, nuint nMsg, [MarshalAs(UnmanagedType.U1)] bool addAss, byte* buf, int length);
}

/// <summary>llama.h's <c>llama_chat_message</c>: two UTF-8 strings.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct LlamaChatMessage
{
    public byte* Role;
    public byte* Content;
}
