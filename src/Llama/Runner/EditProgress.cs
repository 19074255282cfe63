using Chorus.Primitives;

namespace Chorus.Llama;

/// <summary>
/// One <see cref="SequenceEdit"/> on its way through one or more decodes: how many of its tokens are decoded, and what
/// they produced so far. A scheduler that splits long prefills across steps (<see cref="ModelRunner.Step"/>) keeps one of
/// these per edit until <see cref="IsDone"/>; <see cref="ModelRunner.Apply"/> runs a whole list of them to the end.
/// </summary>
public sealed class EditProgress
{
    private readonly ModelRunner _runner;
    private readonly EditOutput _output;
    private EditResult? _result;

    internal EditProgress(ModelRunner runner, SequenceEdit asked, SequenceEdit run)
    {
        _runner = runner;
        Asked = asked;
        Edit = run;
        _output = new EditOutput(run);
    }

    /// <summary>The edit as asked for.</summary>
    public SequenceEdit Asked { get; }

    /// <summary>The edit as it runs: the asked one, or (prefix cache) one that keeps a cached prefix and appends the rest.</summary>
    public SequenceEdit Edit { get; }

    /// <summary>Tokens of the edit decoded so far.</summary>
    public int Decoded { get; private set; }

    /// <summary>Tokens still to decode.</summary>
    public int Remaining => Edit.Tokens.Length - Decoded;

    public bool IsDone => Remaining == 0;

    /// <summary>Decodes that carried tokens of this edit.</summary>
    public int Steps { get; private set; }

    // the sequence is rolled back to Keep when the edit's first tokens go into a batch, not before: an edit that fails
    // or is withdrawn before that leaves the sequence as it was
    internal bool RolledBack { get; set; }

    internal double DecodeMilliseconds { get; private set; }

    internal double ReadMilliseconds { get; private set; }

    internal void Advance(ModelRunner runner, int count, int firstRow)
    {
        _output.Read(runner, Decoded, count, firstRow);
        Decoded += count;
        Steps++;
    }

    internal void AddTime(double decodeMs, double readMs)
    {
        DecodeMilliseconds += decodeMs;
        ReadMilliseconds += readMs;
    }

    /// <summary>What the edit produced, as asked for; only once <see cref="IsDone"/>.</summary>
    public EditResult Result()
    {
        if (!IsDone) throw new InvalidOperationException($"the edit of sequence {Edit.Sequence.Id} has {Remaining} tokens left to decode");
        return _result ??= _runner.Completed(this, _output.Result() with { DecodeMilliseconds = DecodeMilliseconds, ReadMilliseconds = ReadMilliseconds });
    }
}
