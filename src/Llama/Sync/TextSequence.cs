using Chorus.Primitives;

namespace Chorus.Llama;

/// <summary>
/// A runner sequence that follows a shared text (the heterogeneous-vocabulary path): it remembers which text its
/// tokens cover and where each token starts, so a longer text is synced by re-tokenizing only the tail.
/// Changes are planned (<see cref="PlanPrefill"/>, <see cref="PlanSync"/>, <see cref="PlanAppend"/>: tokenization, on
/// the caller's thread), applied as one <see cref="SequenceEdit"/> by whoever drives the runner, then committed.
/// One caller at a time plans and commits a given sequence.
/// </summary>
public sealed class TextSequence
{
    /// <summary>Tokens re-tokenized behind the end on every sync (a merge can reach back a few tokens).</summary>
    public const int Window = 6;

    private readonly LlamaVocabulary _vocabulary;
    private readonly List<int> _offsets = [];
    private string _text = "";
    private bool _parseSpecial;

    public TextSequence(ModelRunner runner, RunnerSequence sequence)
    {
        ArgumentNullException.ThrowIfNull(runner);
        _vocabulary = runner.Vocabulary;
        Runner = runner;
        Sequence = sequence;
    }

    public ModelRunner Runner { get; }

    public RunnerSequence Sequence { get; }

    /// <summary>The text the sequence's tokens stand for.</summary>
    public string Text => _text;

    /// <summary>Character offset of each token in <see cref="Text"/>.</summary>
    public IReadOnlyList<int> Offsets => _offsets;

    /// <summary>Whether the prefill parsed special-token markers (a chat prompt): every later sync tokenizes the same way.</summary>
    public bool ParseSpecial => _parseSpecial;

    /// <summary>How many syncs fell back to tokenizing the whole text (the tail did not tokenize consistently).</summary>
    public int FullRetokenizations { get; private set; }

    /// <summary>
    /// The prompt (with BOS as the model expects) as the sequence's whole content; with <paramref name="evidence"/> also
    /// each token's log-probability given the tokens before it (every prompt row's logits are then computed). With
    /// <paramref name="parseSpecial"/> (a prompt formatted by a chat template) special-token text such as
    /// <c>&lt;|im_start|&gt;</c> becomes the special token, in this prefill and in every later sync of the sequence.
    /// </summary>
    public TextEdit PlanPrefill(string prompt, DistributionRequest request, bool evidence = true, int positionsTopK = 0, bool parseSpecial = false)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        _parseSpecial = parseSpecial;
        var tokens = _vocabulary.Tokenize(prompt, addSpecial: true, parseSpecial);
        var edit = new SequenceEdit(Sequence, 0, tokens, request) { TokenLogProbs = evidence, PositionsTopK = evidence ? positionsTopK : 0 };
        return new TextEdit(edit, prompt, TokenOffsets.Compute(_vocabulary, prompt, tokens, parseSpecial), Sequence.Length);
    }

    /// <summary>Tokens appended by id: afterwards the text is unknown, and the next sync re-tokenizes the whole text.</summary>
    public TextEdit PlanAppend(int[] tokens, DistributionRequest request) =>
        new(SequenceEdit.Append(Sequence, tokens, request), "", [], 0) { ByTokenId = true };

    /// <summary>
    /// Makes the sequence cover <paramref name="text"/>: re-tokenizes from a word boundary a few tokens back, keeps
    /// the common prefix, rolls back the rest and decodes the new tokens.
    /// </summary>
    public TextEdit PlanSync(string text, DistributionRequest request)
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
            (retokenized, tailStart, tailChar) = (_vocabulary.Tokenize(text, addSpecial: true, _parseSpecial), 0, 0);
            FullRetokenizations++;
        }
        var common = 0;
        while (tailStart + common < old.Length && common < retokenized.Length && old[tailStart + common] == retokenized[common]) common++;
        var keep = tailStart + common;
        if (keep == old.Length && common == retokenized.Length && keep > 0)
            keep--; // nothing new: re-decode the last token to get a distribution after it
        var fresh = retokenized.AsSpan(keep - tailStart).ToArray();
        var tailOffsets = TokenOffsets.Compute(_vocabulary, text[tailChar..], retokenized, _parseSpecial);
        var offsets = new int[keep + fresh.Length];
        for (var i = 0; i < keep; i++) offsets[i] = _offsets[i];
        for (var i = keep - tailStart; i < retokenized.Length; i++) offsets[tailStart + i] = tailChar + tailOffsets[i];
        return new TextEdit(new SequenceEdit(Sequence, keep, fresh, request), text, offsets, old.Length - keep);
    }

    /// <summary>Records what an applied edit made the sequence cover.</summary>
    public void Commit(TextEdit edit)
    {
        ArgumentNullException.ThrowIfNull(edit);
        _text = edit.Text;
        if (edit.ByTokenId)
        {
            // the text is unknown from now on; offsets before the kept tokens stay as they were
            var keep = Math.Min(edit.Edit.Keep, _offsets.Count);
            _offsets.RemoveRange(keep, _offsets.Count - keep);
            for (var i = _offsets.Count; i < edit.Edit.Keep + edit.Edit.Tokens.Length; i++) _offsets.Add(int.MaxValue);
            return;
        }
        _offsets.Clear();
        _offsets.AddRange(edit.Offsets);
    }

    /// <summary>Plans, applies on the runner (on this thread) and commits a prefill.</summary>
    public PrefillResult Prefill(string prompt, DistributionRequest request, int positionsTopK = 0, CancellationToken cancellationToken = default)
    {
        var edit = PlanPrefill(prompt, request, evidence: true, positionsTopK);
        var result = Runner.Apply([edit.Edit], cancellationToken)[0];
        Commit(edit);
        return new PrefillResult(result.TokenLogProbs!, result.Next) { Positions = result.Positions };
    }

    /// <summary>Plans, applies on the runner (on this thread) and commits a sync; returns the next distribution, the tokens decoded and how many were rolled back.</summary>
    public (TokenDistribution Next, int[] Decoded, int RolledBack) Sync(string text, DistributionRequest request, CancellationToken cancellationToken = default)
    {
        var edit = PlanSync(text, request);
        var result = Runner.Apply([edit.Edit], cancellationToken)[0];
        Commit(edit);
        return (result.Next, edit.Edit.Tokens, edit.RolledBack);
    }

    // A token a few back that starts a word (its piece begins with one space), so the tail tokenizes as it did in context.
    private int FindAnchor(int[] tokens)
    {
        for (var j = Math.Max(0, tokens.Length - Window); j >= Math.Max(0, tokens.Length - 4 * Window); j--)
        {
            var piece = _vocabulary.TokenToString(tokens[j]);
            if (piece.Length > 1 && piece[0] == ' ' && piece[1] != ' ') return j;
        }
        return -1;
    }

    private bool TryTokenizeTail(string text, int[] tokens, int anchor, out int[] tail)
    {
        tail = [];
        if (anchor >= _offsets.Count) return false;
        var offset = _offsets[anchor];
        if (offset >= text.Length || offset > _text.Length || string.CompareOrdinal(text, 0, _text, 0, offset) != 0) return false;
        var tailText = text[offset..];
        // SentencePiece adds the word-boundary space itself: give it the word without its space
        var stripSpace = _vocabulary.Kind == "spm" && tailText.StartsWith(' ');
        tail = _vocabulary.Tokenize(stripSpace ? tailText[1..] : tailText, parseSpecial: _parseSpecial);
        return tail.Length > 0 && tail[0] == tokens[anchor];
    }
}
