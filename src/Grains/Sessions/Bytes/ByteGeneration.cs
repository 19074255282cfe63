using System.Diagnostics;
using System.Runtime.CompilerServices;
using Chorus.Contracts;
using Chorus.Fusion;
using Microsoft.Extensions.Logging;

namespace Chorus.Grains;

/// <summary>
/// A generation of method <c>byte</c>: one byte per step, streamed as complete UTF-8 characters (one
/// <see cref="GeneratedToken"/> per character, its <c>TokenId</c> the character's code point). The UTF-8 mask makes the
/// text valid by construction. <c>MaxTokens</c> counts characters here. Stops on "end" (the members' end-of-generation
/// mass), stop strings, the limit, cancellation, the deadline, or a member's full context ("length").
/// </summary>
internal static class ByteGeneration
{
    public static async IAsyncEnumerable<GenerationEvent> RunAsync(Guid session, IReadOnlyList<MemberPlan> plans, ByteMethod method, GenerationRequest request,
        Sampler sampler, int maxCharacters, IGrainFactory grains, ClusterModelDirectory directory, VocabularyCatalog catalog, ILogger logger,
        [EnumeratorCancellation] CancellationToken ct, CancellationToken caller, Action<FusedRun>? resolved = null)
    {
        var total = Stopwatch.StartNew();
        await using var run = await ErrorMapping.GuardAsync(() => ByteRun.ResolveAsync(session, plans, method, request.Prompt, grains, directory, catalog, logger));
        resolved?.Invoke(run.Run); // the grain's End() releases what the run holds (forks included: they share the session as owner)
        await foreach (var queued in run.Run.AdmitOrDeadlineAsync(ct, caller)) yield return queued;
        var ended = run.Run.AdmissionTimedOut ? "deadline" : null;
        var opening = Stopwatch.GetTimestamp();
        if (ended is null) ended = await Guarded(() => run.OpenAsync(catalog, ct), ct, caller);
        var openMs = Stopwatch.GetElapsedTime(opening).TotalMilliseconds;
        if (ended is not null)
        {
            yield return new GenerationFinished(ended, "", 0, 0, openMs, total.Elapsed.TotalMilliseconds, 0, 0);
            yield break;
        }
        yield return new GenerationStarted(session, method.Name, [.. run.Members.Select(m => FusionSessionGrain.Status(m.Member, request.ShowMemberTokens))], openMs);

        var stops = new StopStringFilter(request.Stop ?? []);
        var completion = new System.Text.StringBuilder();
        var pending = new List<byte>(4);
        var symbols = new float[ByteDistribution.Symbols];
        var reason = "max_tokens";
        double fuseTotal = 0, stepTotal = 0;
        var characters = 0;
        while (characters < maxCharacters)
        {
            if (ct.IsCancellationRequested) { reason = caller.IsCancellationRequested ? "cancelled" : "deadline"; break; }
            var fuseStart = Stopwatch.GetTimestamp();
            var fused = ErrorMapping.Guard(run.Fuse);
            for (var s = 0; s < symbols.Length; s++) symbols[s] = (float)fused[s];
            var symbol = sampler.Sample(symbols);
            fuseTotal += Stopwatch.GetElapsedTime(fuseStart).TotalMilliseconds;
            if (symbol == ByteDistribution.End) { reason = "eog"; break; }
            var weights = request.ShowWeights ? WeightsOf(run) : null;
            var stepStart = Stopwatch.GetTimestamp();
            var stopped = await Guarded(() => run.AdvanceAsync((byte)symbol, ct), ct, caller);
            stepTotal += Stopwatch.GetElapsedTime(stepStart).TotalMilliseconds;
            if (stopped is not null) { reason = stopped; break; }
            pending.Add((byte)symbol);
            if (!IsComplete(pending)) continue;
            var character = System.Text.Encoding.UTF8.GetString([.. pending]);
            pending.Clear();
            completion.Append(character);
            var (emit, stop) = stops.Push(character);
            yield return new GeneratedToken(characters, emit, char.ConvertToUtf32(character, 0), weights, null, null, 0, 0);
            characters++;
            if (stop) { reason = "stop"; break; }
        }
        var tail = reason == "stop" ? "" : stops.Flush();
        if (tail.Length > 0) yield return new GeneratedToken(characters, tail, -1, null, null, null, 0, 0);
        var bytes = Math.Max(1, run.Bytes);
        logger.LogDebug("byte run {Session}: {Bytes} bytes, {Diagnostics}", session, run.Bytes, string.Join(", ", run.Diagnostics().Select(p => $"{p.Key}={p.Value:G4}")));
        yield return new GenerationFinished(reason, FusionSessionGrain.StopAt(completion.ToString(), request.Stop), run.Members[run.Run.MainIndex].Evidence?.TokenIds.Length ?? 0, characters,
            openMs, total.Elapsed.TotalMilliseconds, fuseTotal / bytes, stepTotal / bytes);
    }

    // null, or why the generation ends: cancelled, deadline, or "length" when a member's context is full
    private static async Task<string?> Guarded(Func<Task> work, CancellationToken ct, CancellationToken caller)
    {
        try
        {
            await ErrorMapping.GuardAsync(async () => { await work(); return true; });
            return null;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return caller.IsCancellationRequested ? "cancelled" : "deadline";
        }
        catch (ChorusException e) when (e.Kind == ChorusErrorKind.OutOfRange)
        {
            return "length";
        }
    }

    // the mask only lets valid UTF-8 through, so a character is complete when its lead byte's length is reached
    private static bool IsComplete(List<byte> bytes)
    {
        var lead = bytes[0];
        var length = lead < 0x80 ? 1 : lead < 0xE0 ? 2 : lead < 0xF0 ? 3 : 4;
        return bytes.Count == length;
    }

    private static Dictionary<string, double> WeightsOf(ByteRun run)
    {
        var w = new Dictionary<string, double>();
        for (var k = 0; k < run.Members.Count; k++) w[run.Members[k].Member.Name] = run.Weights[k];
        return w;
    }
}
