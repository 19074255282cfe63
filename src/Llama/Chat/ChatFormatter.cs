using System.Runtime.InteropServices;
using System.Text;
using Chorus.Llama.Native;

namespace Chorus.Llama.Chat;

/// <summary>
/// Formats a conversation as a model expects it: with its chat template through llama.cpp's
/// <c>llama_chat_apply_template</c> (which recognises the common templates by name or by their Jinja markers), or — for
/// a model without one — in the <see cref="PlainFormat">plain format</see>. The text ends where the assistant's reply begins.
/// </summary>
public static unsafe class ChatFormatter
{
    /// <summary>
    /// The plain format, for models without a chat template: each message as <c>role: content</c> on its own line,
    /// then <c>assistant:</c> (e.g. "system: Be brief.\nuser: Hi\nassistant:"). Content that begins with whitespace
    /// brings its own: a reply sent back as it was generated after "assistant:" (" Hello.", its first token
    /// space-prefixed) renders as exactly the text the model produced, so the next turn's prompt starts with the tokens
    /// already decoded and the prefix cache reuses the reply as well (with ": " before it, "assistant:  Hello." would
    /// tokenize differently from the reply's first token on).
    /// </summary>
    public static string PlainFormat(IReadOnlyList<ChatLine> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var text = new StringBuilder();
        foreach (var m in messages)
            text.Append(m.Role).Append(m.Content.Length > 0 && char.IsWhiteSpace(m.Content[0]) ? ":" : ": ").Append(m.Content).Append('\n');
        return text.Append("assistant:").ToString();
    }

    /// <summary>
    /// The conversation formatted with <paramref name="template"/> (a Jinja template or a name such as chatml, llama2);
    /// null or empty gives the plain format. A template llama.cpp does not recognise is an <see cref="ArgumentException"/>.
    /// </summary>
    public static string Format(string? template, IReadOnlyList<ChatLine> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (string.IsNullOrEmpty(template)) return PlainFormat(messages);
        LlamaBackend.Initialize();
        var handles = new List<GCHandle>(messages.Count * 2 + 1);
        try
        {
            var chat = new LlamaChatMessage[messages.Count];
            for (var i = 0; i < messages.Count; i++)
            {
                chat[i].Role = Pin(messages[i].Role, handles);
                chat[i].Content = Pin(messages[i].Content, handles);
            }
            var tmpl = Pin(template, handles);
            var capacity = 256;
            foreach (var m in messages) capacity += 2 * (Encoding.UTF8.GetByteCount(m.Role) + Encoding.UTF8.GetByteCount(m.Content));
            while (true)
            {
                var buf = new byte[capacity];
                int n;
                fixed (LlamaChatMessage* c = chat)
                fixed (byte* b = buf)
                    n = LlamaNative.llama_chat_apply_template(tmpl, c, (nuint)chat.Length, true, b, buf.Length);
                if (n < 0)
                    throw new ArgumentException($"llama.cpp does not recognise the chat template {Describe(template)}; give the model one of the templates it knows (chatml, llama2, zephyr, phi3, …) or send a formatted prompt to /v1/completions");
                if (n <= buf.Length) return Encoding.UTF8.GetString(buf, 0, n);
                capacity = n;
            }
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
    }

    private static byte* Pin(string text, List<GCHandle> handles)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        var handle = GCHandle.Alloc(bytes, GCHandleType.Pinned);
        handles.Add(handle);
        return (byte*)handle.AddrOfPinnedObject();
    }

    private static string Describe(string template) => template.Length <= 60 ? $"'{template}'" : $"'{template[..60]}…' ({template.Length} characters)";
}
