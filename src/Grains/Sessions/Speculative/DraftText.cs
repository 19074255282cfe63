using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>
/// The texts a member of another vocabulary is verified on, after its own prompt: the committed text and the committed
/// text with each drafted token added, decoded exactly as the plain path decodes them (complete UTF-8 characters only),
/// so every prefix is the text the plain path would have synced that member to.
/// </summary>
internal sealed class DraftText(LlamaVocabulary mainVocabulary)
{
    /// <summary>The generated text with the drafts, and the char length of the committed text and of each drafted prefix (after the prompt).</summary>
    public (string Text, int[] PrefixLengths) Build(IReadOnlyList<int> committed, ReadOnlySpan<int> drafts)
    {
        // a fresh decoder replays the committed tokens: it then holds back exactly the bytes the plain path would
        var decoder = new Utf8TokenDecoder(mainVocabulary);
        var text = new System.Text.StringBuilder();
        foreach (var t in committed) text.Append(decoder.Append(t));
        var lengths = new int[drafts.Length + 1];
        lengths[0] = text.Length;
        for (var i = 0; i < drafts.Length; i++)
        {
            text.Append(decoder.Append(drafts[i]));
            lengths[i + 1] = text.Length;
        }
        return (text.ToString(), lengths);
    }
}
