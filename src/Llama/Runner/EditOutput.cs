using Chorus.Primitives;

namespace Chorus.Llama;

/// <summary>What one edit accumulates over the decodes its tokens span: prompt log-probs, per-position rows, the next row.</summary>
internal sealed class EditOutput(SequenceEdit edit)
{
    private readonly float[]? _logProbs = edit.TokenLogProbs ? NewLogProbs(edit.Tokens.Length) : null;
    private readonly TokenDistribution?[]? _positions = edit.TokenLogProbs && edit.PositionsTopK > 0 ? new TokenDistribution?[edit.Tokens.Length] : null;
    private readonly TokenDistribution[]? _rows = edit.AllRows ? new TokenDistribution[edit.Tokens.Length] : null;
    private TokenDistribution? _next;

    // rows of tokens [start, start+count) of this edit start at firstRow of the batch just decoded
    public void Read(ModelRunner runner, int start, int count, int firstRow)
    {
        var tokens = edit.Tokens;
        if (_logProbs is not null)
        {
            for (var i = 0; i < count; i++)
            {
                var target = start + i + 1; // row of token j predicts token j+1
                if (target >= tokens.Length) break;
                var logits = runner.Context.GetLogits(firstRow + i);
                _logProbs[target] = logits[tokens[target]] - TokenDistribution.LogSumExpOf(logits);
                if (_positions is not null) _positions[target] = TokenDistribution.TopK(logits, edit.PositionsTopK);
            }
        }
        if (_rows is not null)
            for (var i = 0; i < count && start + i < tokens.Length - 1; i++) _rows[start + i] = runner.Distribution(firstRow + i, edit.Request);
        if (start + count == tokens.Length)
        {
            _next = runner.Distribution(firstRow + count - 1, edit.Request);
            if (_rows is not null) _rows[^1] = _next;
        }
    }

    public EditResult Result() => new(_next!, _logProbs, _positions) { Rows = _rows };

    private static float[] NewLogProbs(int n)
    {
        var a = new float[n];
        a[0] = float.NaN;
        return a;
    }
}
