using System.Diagnostics;

namespace Chorus.Grains;

/// <summary>
/// The token budget of one decode step (vLLM's <c>max_num_batched_tokens</c> under chunked prefill), sized from what steps
/// measurably cost on this replica rather than a fixed count: while sequences are decoding, a step's prefill chunk gets
/// the tokens that stretch the step to <see cref="StepOptions.PrefillStretch"/> times a decode-only step. A fixed count
/// cannot serve both ends: 64 prefill tokens cost a CPU core about as much as 8 decode rows, and a GPU almost nothing.
/// With nobody decoding, a prefill takes the whole batch (there is no one to protect).
/// </summary>
internal sealed class StepBudget(int batchTokens, double stretch)
{
    // a chunk this small still amortises a decode's fixed cost and attends in tiles (ModelRunner.ChunkRows); and the first
    // guess before any prefill was measured
    private const int MinChunk = Llama.ModelRunner.ChunkRows + 1;
    private const int FirstChunk = 128;
    private const double Smoothing = 0.2;

    private double _decodeStepMs = double.NaN;
    private double _prefillTokenMs = double.NaN;

    /// <summary>Tokens of an edit with this few left decode whole in every step (a decode row, a verification of k drafts, a short prompt).</summary>
    public const int SmallEdit = 16;

    /// <summary>A decode-only step's time, smoothed (NaN until one was measured).</summary>
    public double DecodeStepMilliseconds => _decodeStepMs;

    /// <summary>Tokens the step may spend on prefill chunks beyond its small edits.</summary>
    public int PrefillTokens(bool decoding)
    {
        if (!decoding || stretch <= 0) return batchTokens;
        if (double.IsNaN(_prefillTokenMs) || double.IsNaN(_decodeStepMs)) return Math.Min(FirstChunk, batchTokens);
        var fit = (stretch - 1) * _decodeStepMs / Math.Max(_prefillTokenMs, 1e-6);
        return (int)Math.Clamp(fit, MinChunk, batchTokens);
    }

    /// <summary>Learns from a step: <paramref name="smallRows"/> rows of small edits and <paramref name="prefillRows"/> of prefill chunks took <paramref name="ticks"/>.</summary>
    public void Observe(int smallRows, int prefillRows, long ticks)
    {
        var ms = ticks * 1000.0 / Stopwatch.Frequency;
        if (prefillRows == 0)
        {
            // a decode-only step costs about the same each time; what differs is upward (the first decode's set-up, a
            // thread that lost its core), so the estimate follows a faster step at once and a slower one slowly
            _decodeStepMs = double.IsNaN(_decodeStepMs) || ms < _decodeStepMs ? ms : Smooth(_decodeStepMs, ms);
            return;
        }
        if (prefillRows < MinChunk) return; // too few tokens to tell their cost from the step's fixed cost
        var decodePart = double.IsNaN(_decodeStepMs) || smallRows == 0 ? 0 : _decodeStepMs;
        _prefillTokenMs = Smooth(_prefillTokenMs, Math.Max(ms - decodePart, 0) / prefillRows);
    }

    private static double Smooth(double average, double sample) => double.IsNaN(average) ? sample : average + Smoothing * (sample - average);
}
