namespace Chorus.Llama;

/// <summary>
/// A planned change of a <see cref="TextSequence"/>: the <see cref="SequenceEdit"/> to apply on the model's thread,
/// and the text and token offsets the sequence covers once it is applied (<see cref="TextSequence.Commit"/>).
/// Planning tokenizes, so it runs on the caller's thread, never on the model's decode thread.
/// </summary>
/// <param name="Edit">Keep/append edit of the runner sequence.</param>
/// <param name="Text">The text the sequence stands for after the edit ("" = unknown: tokens were appended by id).</param>
/// <param name="Offsets">Character offset of every token after the edit (int.MaxValue where unknown).</param>
/// <param name="RolledBack">Tokens the edit removes from the cache first.</param>
public sealed record TextEdit(SequenceEdit Edit, string Text, int[] Offsets, int RolledBack)
{
    /// <summary>
    /// Tokens appended by id after <see cref="SequenceEdit.Keep"/>: the text becomes unknown and <see cref="Offsets"/> is
    /// empty — committing keeps the first offsets and marks the new tokens unknown, without a per-step copy of them all.
    /// </summary>
    public bool ByTokenId { get; init; }
}
