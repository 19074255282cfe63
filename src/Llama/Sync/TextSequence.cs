using Chorus.Fusion;

namespace Chorus.Llama;

/// <summary>
/// A runner sequence that follows a shared text (the heterogeneous-vocabulary path): it remembers which text its
/// tokens cover and where each token starts, so a longer text is synced by re-tokenizing only the tail.
/// </summary>
public sealed class TextSequence
{
    /// <summary>Tokens re-tokenized behind the end on every sync (a merge can reach back a few tokens).</summary>
    public const int Window = 6;

    private readonly ModelRunner _runner;
    private readonly List<int> _offsets = [];
    private string _text = "";

    public TextSequence(ModelRunner runner, RunnerSequence sequence)
    {
        _runner = runner;
        Sequence = sequence;
    }

    public RunnerSequence Sequence { get; }

    /// <summary>The text the sequence's tokens stand for.</summary>
    public string Text => _text;

    /// <summary>Character offset of each token in <see cref="Text"/>.</summary>
    public IReadOnlyList<int> Offsets => _offsets;

    /// <summary>How many syncs fell back to tokenizing the whole text (the tail did not tokenize consistently).</summary>
    public int FullRetokenizations { get; private set; }

    /// <summary>Prefills the prompt (with BOS as the model expects) and records offsets.</summary>
    public PrefillResult Prefill(string prompt, DistributionRequest request, int positionsTopK = 0, CancellationToken cancellationToken = default)
    {
        var tokens = _runner.Vocabulary.Tokenize(prompt, addSpecial: true);
        var result = _runner.Prefill(Sequence, tokens, request, positionsTopK, cancellationToken);
        _text = prompt;
        _offsets.Clear();
        _offsets.AddRange(TokenOffsets.Compute(_runner.Vocabulary, prompt, tokens));
        return result;
    }

    /// <summary>Tokens were appended to the sequence directly (by id): the next <see cref="Sync"/> re-tokenizes the whole text.</summary>
    public void MarkTextUnknown()
    {
        _text = "";
        _offsets.Clear();
        _offsets.AddRange(Enumerable.Repeat(int.MaxValue, Sequence.Length));
    }

    /// <summary>
    /// Makes the sequence cover <paramref name="text"/>: re-tokenizes from a word boundary a few tokens back, keeps
    /// the common prefix, rolls back the rest and decodes the new tokens. Returns the next distribution, the tokens
    /// decoded and how many were rolled back.
    /// </summary>
    public (TokenDistribution Next, int[] Decoded, int RolledBack) Sync(string text, DistributionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        var old = Sequence.Tokens.ToArray();
        var anchor = FindAnchor(old);
        int[] retokenized;
        int tailStart, tailChar;
        if (anchor >= 0 && TryTokenizeTail(text, old, anchor, out var tail))
        {
            (retokenized, tailStart, tailChar) = (tail, anchor, _offsets[anchor]);
        }
        else
        {
            (retokenized, tailStart, tailChar) = (_runner.Vocabulary.Tokenize(text, addSpecial: true), 0, 0);
            FullRetokenizations++;
        }
        var common = 0;
        while (tailStart + common < old.Length && common < retokenized.Length && old[tailStart + common] == retokenized[common]) common++;
        var keep = tailStart + common;
        if (keep == old.Length && common == retokenized.Length && keep > 0)
            keep--; // nothing new: re-decode the last token to get a distribution after it
        var fresh = retokenized.AsSpan(keep - tailStart).ToArray();
        var tailOffsets = TokenOffsets.Compute(_runner.Vocabulary, text[tailChar..], retokenized);

        _runner.Truncate(Sequence, keep);
        _offsets.RemoveRange(keep, _offsets.Count - keep);
        var next = _runner.Append(Sequence, fresh, request, cancellationToken);
        for (var i = keep - tailStart; i < retokenized.Length; i++) _offsets.Add(tailChar + tailOffsets[i]);
        _text = text;
        return (next, fresh, old.Length - keep);
    }

    // A token a few back that starts a word (its piece begins with one space), so the tail tokenizes as it did in context.
    private int FindAnchor(int[] tokens)
    {
        for (var j = Math.Max(0, tokens.Length - Window); j >= Math.Max(0, tokens.Length - 4 * Window); j--)
        {
            var piece = _runner.Vocabulary.TokenToString(tokens[j]);
            if (piece.Length > 1 && piece[0] == ' ' && piece[1] != ' ') return j;
        }
        return -1;
    }

    private bool TryTokenizeTail(string text, int[] tokens, int anchor, out int[] tail)
    {
        tail = [];
        var offset = _offsets[anchor];
        if (offset >= text.Length || offset > _text.Length || string.CompareOrdinal(text, 0, _text, 0, offset) != 0) return false;
        var tailText = text[offset..];
        // SentencePiece adds the word-boundary space itself: give it the word without its space
        var stripSpace = _runner.Vocabulary.Kind == "spm" && tailText.StartsWith(' ');
        tail = _runner.Vocabulary.Tokenize(stripSpace ? tailText[1..] : tailText);
        return tail.Length > 0 && tail[0] == tokens[anchor];
    }
}
