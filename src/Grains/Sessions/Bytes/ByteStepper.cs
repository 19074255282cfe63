using System.Diagnostics;
using Chorus.Contracts;
using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// Byte-level fusion (method <c>byte</c>): a step draws bytes from the members' mixture under the UTF-8 mask until they
/// make one complete character, its unit (id: the code point). The mask makes the text valid by construction, so the
/// loop's unit limit (<c>MaxTokens</c>) counts characters here, and the fuse and step times are per character. Ends on
/// "eog" when the end symbol (the members' end-of-generation mass) is drawn.
/// </summary>
internal sealed class ByteStepper(ByteRun run, Sampler sampler, VocabularyCatalog catalog) : IGenerationStepper
{
    private readonly float[] _symbols = new float[ByteDistribution.Symbols];
    private readonly List<byte> _pending = new(4);

    public FusedRun Run => run.Run;
    public double OpenMilliseconds { get; private set; }
    public int PromptTokens => run.Members[run.Run.MainIndex].Evidence?.TokenIds.Length ?? 0;

    public async Task OpenAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await run.OpenAsync(catalog, ct);
        }
        finally
        {
            OpenMilliseconds = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }
    }

    public async Task<StepOutcome> StepAsync(int remaining, UnitAnnotator annotate, CancellationToken ct)
    {
        double fuseMs = 0, stepMs = 0;
        while (true)
        {
            var fuseStart = Stopwatch.GetTimestamp();
            var fused = run.Fuse();
            for (var s = 0; s < _symbols.Length; s++) _symbols[s] = (float)fused[s];
            var symbol = sampler.Sample(_symbols);
            fuseMs += Stopwatch.GetElapsedTime(fuseStart).TotalMilliseconds;
            if (symbol == ByteDistribution.End) return new StepOutcome([], "eog", fuseMs);
            var notes = annotate.OfWeights(run.Weights);
            var stepStart = Stopwatch.GetTimestamp();
            await run.AdvanceAsync((byte)symbol, ct);
            stepMs += Stopwatch.GetElapsedTime(stepStart).TotalMilliseconds;
            _pending.Add((byte)symbol);
            if (!IsComplete(_pending)) continue;
            var character = System.Text.Encoding.UTF8.GetString([.. _pending]);
            _pending.Clear();
            return new StepOutcome([new GeneratedUnit(char.ConvertToUtf32(character, 0), character, notes, null, fuseMs, stepMs)], null, fuseMs);
        }
    }

    // the mask lets only whole characters through, so nothing is held back at the end
    public string Flush() => "";

    public GenerationFinished Finish(GenerationFinished finished) => finished;

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    // the mask only lets valid UTF-8 through, so a character is complete when its lead byte's length is reached
    private static bool IsComplete(List<byte> bytes)
    {
        var lead = bytes[0];
        var length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        return bytes.Count == length;
    }
}
