namespace Chorus.Llama;

/// <summary>
/// Where byte-level reading of a prompt starts (method <c>byte</c>): a member prefills the prompt up to the start of
/// its last word in its own tokens and reads the rest byte by byte, so the token that will straddle the prompt's end —
/// a prompt may end inside a word — is not fixed by the prompt's own tokenization.
/// </summary>
/// <remarks>
/// Deviation (cost: the covers that straddle the back-off point are left out, as if every tokenization broke there):
/// Phan et al. condition on the whole prompt's covers; a word start is a token boundary of every canonical
/// tokenization of the zoo's vocabularies (tokens carry a leading space, never an inner one).
/// </remarks>
public static class PromptBackOff
{
    /// <summary>Tokens re-read byte by byte at most (the prompt's last word).</summary>
    public const int Window = 6;

    /// <summary>
    /// The character offset of the start of the prompt's last word (a token that begins with one space), at most
    /// <see cref="Window"/> tokens back; the whole prompt's length when no such token follows the first.
    /// </summary>
    public static int Point(LlamaVocabulary vocabulary, string prompt)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        ArgumentNullException.ThrowIfNull(prompt);
        var tokens = vocabulary.Tokenize(prompt, addSpecial: false);
        if (tokens.Length < 2) return prompt.Length;
        var offsets = TokenOffsets.Compute(vocabulary, prompt, tokens);
        for (var j = tokens.Length - 1; j >= Math.Max(1, tokens.Length - Window); j--)
        {
            var piece = vocabulary.TokenToString(tokens[j]);
            if (piece.Length > 1 && piece[0] == ' ' && piece[1] != ' ' && offsets[j] > 0 && offsets[j] < prompt.Length) return offsets[j];
        }
        return prompt.Length;
    }
}
