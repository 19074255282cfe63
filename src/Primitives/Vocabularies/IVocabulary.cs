namespace Chorus.Primitives;

/// <summary>
/// A member's vocabulary, as fusion needs it. The llama.cpp binding implements it over a loaded model;
/// Chorus.Fusion's InMemoryVocabulary implements it for tests. Implementations must be thread-safe for reads.
/// </summary>
public interface IVocabulary
{
    /// <summary>Number of tokens; ids are 0..Count−1.</summary>
    int Count { get; }

    /// <summary>The raw vocabulary piece of a token, markers included: "▁the", "Ġthe", "&lt;0x0A&gt;", "Ċ".</summary>
    string TokenText(int id);

    /// <summary>Tokenizes plain text in this vocabulary, without BOS and without parsing special tokens.</summary>
    int[] Tokenize(string text);

    /// <summary>True for end-of-generation tokens (EOS, EOT, ...).</summary>
    bool IsEndOfGeneration(int id);

    /// <summary>True for control tokens (BOS, EOS, padding, ...): pieces that stand for no text.</summary>
    bool IsControl(int id);

    /// <summary>The special tokens by role; MinED pairs them by role, never by text.</summary>
    SpecialTokens Specials { get; }

    /// <summary>A hash of the vocabulary's content (the pieces in id order); equal hashes mean the same vocabulary.</summary>
    string ContentHash { get; }
}
