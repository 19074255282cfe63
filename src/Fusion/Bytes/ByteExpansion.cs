namespace Chorus.Fusion;

/// <summary>
/// A branch a byte created, whose last token the caller must decode before the next byte: fork the parent's sequence
/// (or take it over, when <see cref="TakesParentSequence"/>: the parent ended this byte), append the child's token,
/// and <see cref="ByteCoverTree.Attach"/> the distribution that comes back.
/// </summary>
public readonly record struct ByteExpansion(ByteBranch Child, ByteBranch Parent, bool TakesParentSequence);

/// <summary>What one byte asks of the caller: sequences to free (first), then branches to decode (forks before take-overs of the same parent).</summary>
public sealed class ByteStepPlan
{
    internal List<object> ReleasedList { get; } = [];
    internal List<ByteExpansion> ExpansionList { get; } = [];

    /// <summary>Sequences of branches that ended and that no child took over: close them.</summary>
    public IReadOnlyList<object> Released => ReleasedList;

    /// <summary>New branches, forks first.</summary>
    public IReadOnlyList<ByteExpansion> Expansions => ExpansionList;

    internal void Clear()
    {
        ReleasedList.Clear();
        ExpansionList.Clear();
    }
}
