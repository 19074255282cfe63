namespace Chorus.Llama;

/// <summary>One sequence (KV slot) of a <see cref="ModelRunner"/>: its id and the tokens in its cache.</summary>
public sealed class RunnerSequence
{
    internal readonly List<int> TokenList = [];

    internal RunnerSequence(ModelRunner owner, int id)
    {
        Owner = owner;
        Id = id;
    }

    internal ModelRunner Owner { get; }

    /// <summary>llama.cpp sequence id (the KV slot).</summary>
    public int Id { get; }

    /// <summary>Tokens decoded into this sequence so far.</summary>
    public IReadOnlyList<int> Tokens => TokenList;

    /// <summary>Number of cached tokens (the next token's position).</summary>
    public int Length => TokenList.Count;

    /// <summary>False after the sequence was released.</summary>
    public bool IsOpen { get; internal set; } = true;
}
