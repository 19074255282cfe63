using System.Diagnostics;
using System.Runtime.CompilerServices;
using Chorus.Contracts;
using Chorus.Fusion;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Chorus.Grains;

/// <summary>
/// Runs one fused generation (or scoring) as DESIGN.md's data path: members in parallel, the fusion method, sampling,
/// stop conditions, streaming, cancellation and a deadline. Every member sequence is closed on every exit path.
/// </summary>
// the session lives on the silo the client called (one hop less per step for members served there), outside the grain
// directory: a new session never waits on a dead silo's directory lease (LocalSessionPlacement)
[CollectionAgeLimit(Minutes = 2), LocalSessionPlacement, Orleans.GrainDirectory.GrainDirectory(LocalSessionDirectory.Name)]
internal sealed class FusionSessionGrain(
    IOptions<ChorusOptions> options, ClusterModelDirectory directory, VocabularyCatalog catalog, ChorusMetrics metrics, ILocalSiloDetails silo,
    ILogger<FusionSessionGrain> logger)
    : Grain, IFusionSessionGrain
{
    private readonly CancellationTokenSource _ending = new();
    private FusedRun? _run;

    /// <summary>Tokens made ahead of the caller's reading, at most (see <see cref="ReadAhead"/>).</summary>
    internal const int ReadAheadEvents = 16;

    public IAsyncEnumerable<GenerationEvent> Generate(GenerationRequest request, CancellationToken cancellationToken = default)
    {
        SessionTrace? trace = null;
        return ReadAhead.Run(ct => trace!.Observe(GenerateCore(request, ct), ct), ReadAheadEvents,
            ambient: () => trace = SessionTrace.Start(this.GetPrimaryKey(), silo.SiloAddress.ToString(), metrics), cancellationToken);
    }

    private async IAsyncEnumerable<GenerationEvent> GenerateCore(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var limits = options.Value.Sessions;
        RequestValidator.Check(request, limits); // every front end's requests meet the same limits, before any work
        SpeculativeGeneration.Check(request);
        var maxTokens = request.MaxTokens > 0 ? request.MaxTokens : limits.DefaultMaxTokens;
        var sampler = ErrorMapping.Guard(() =>
        {
            var o = new SamplerOptions { Temperature = request.Sampling.Temperature, TopK = request.Sampling.TopK, TopP = request.Sampling.TopP, MinP = request.Sampling.MinP, Seed = request.Sampling.Seed };
            o.Validate();
            return new Sampler(o);
        });
        var (plans, methodName, parameters) = MemberPlanner.Plan(request.Members, request.Method, request.Parameters, options.Value);
        var method = ErrorMapping.Guard(() => FusionMethods.Create(methodName, parameters));

        // End() from the front end counts as the caller cancelling, whatever Orleans delivered of the client's cancellation
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _ending.Token);
        cancellationToken = caller.Token;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (request.DeadlineMilliseconds > 0) deadline.CancelAfter(request.DeadlineMilliseconds);
        var ct = deadline.Token;
        var session = this.GetPrimaryKey();
        if (method is ByteMethod byteMethod) // byte-level fusion steps per byte, not per token: its own loop (src/Grains/Sessions/Bytes)
        {
            if (request.Messages is not null)
                throw new ChorusException(ChorusErrorKind.InvalidArgument,
                    "method 'byte' fuses one shared text byte by byte and does not format chat messages per member yet; send a prompt (a completion request) instead of messages, or choose a token-level method");
            if (request.Sampling.HasPenalties)
                throw new ChorusException(ChorusErrorKind.InvalidArgument,
                    "method 'byte' draws bytes, not tokens: repetition, presence and frequency penalties count tokens and have none to count there; drop the penalties, or choose a token-level method")
                { Field = "penalties" };
            try
            {
                await foreach (var e in ByteGeneration.RunAsync(session, plans, byteMethod, request, sampler, maxTokens, GrainFactory, directory, catalog, logger, ct, cancellationToken, r => _run = r))
                    yield return e;
            }
            finally
            {
                _run = null;
            }
            yield break;
        }
        var total = Stopwatch.StartNew();
        await using var run = await ErrorMapping.GuardAsync(() => FusedRun.ResolveAsync(session, plans, method, request.Prompt, GrainFactory, directory, catalog, logger, request.Messages));
        _run = run;
        try
        {
            // wait for every member's slots, telling the client where it stands
            await foreach (var queued in run.AdmitOrDeadlineAsync(ct, cancellationToken)) yield return queued;
            if (run.AdmissionTimedOut || !await PrefillOrDeadline(run, ct, cancellationToken))
            {
                yield return new GenerationFinished("deadline", "", 0, 0, 0, total.Elapsed.TotalMilliseconds, 0, 0);
                yield break;
            }
            yield return new GenerationStarted(session, method.Name, run.Members.Select(m => Status(m, request.ShowMemberTokens)).ToArray(), run.PrefillMilliseconds);
            if (request.Speculate > 0)
            {
                await foreach (var e in SpeculativeGeneration.RunAsync(run, sampler, request, maxTokens, new(session, GrainFactory, directory, metrics), total, ct, cancellationToken))
                    yield return e;
                yield break;
            }
            var logProbs = request.TopLogProbs >= 0 ? new FusedLogProbs(run.Main.Vocabulary, request.TopLogProbs) : null;
            var penalties = FusedPenalties.For(request.Sampling, run.Main.Vocabulary.Count, run.Main.Evidence?.TokenIds);

            var stops = new StopStringFilter(request.Stop ?? []);
            var reason = "max_tokens";
            double fuseTotal = 0, stepTotal = 0;
            var produced = 0;
            for (var index = 0; index < maxTokens; index++)
            {
                if (ct.IsCancellationRequested) { reason = cancellationToken.IsCancellationRequested ? "cancelled" : "deadline"; break; }
                var fuseStart = Stopwatch.GetTimestamp();
                var fused = ErrorMapping.Guard(run.Fuse);
                var sampleStart = Stopwatch.GetTimestamp();
                // penalties change the draw, not the distribution the log-probabilities report (as vLLM's raw logprobs)
                var token = sampler.Sample(penalties is null ? fused.LogProbs : penalties.Apply(fused.LogProbs));
                run.Timings.AddSample(Stopwatch.GetElapsedTime(sampleStart).TotalMilliseconds);
                var fuseMs = Stopwatch.GetElapsedTime(fuseStart).TotalMilliseconds;
                metrics.FusionTime.Record(fuseMs / 1000);
                if (run.Main.Vocabulary.IsEndOfGeneration(token)) { reason = "eog"; break; }
                var weights = request.ShowWeights ? Weights(run, fused) : null;
                var diagnostics = request.ShowWeights ? Diagnostics(run, fused) : null;
                var (chosenLogProb, topLogProbs) = logProbs?.Of(fused, token) ?? default;

                var stepStart = Stopwatch.GetTimestamp();
                var (advanced, ended) = await AdvanceOrStop(run, token, ct, cancellationToken);
                var stepMs = Stopwatch.GetElapsedTime(stepStart).TotalMilliseconds;
                if (advanced is null) { reason = ended!; break; }
                fuseTotal += fuseMs;
                stepTotal += stepMs;
                produced++;
                penalties?.AddGenerated(token);
                var (emit, stopped) = stops.Push(advanced);
                var memberTokens = request.ShowMemberTokens ? run.Members.ToDictionary(m => m.Name, m => m.LastTokens) : null;
                var streamStart = Stopwatch.GetTimestamp();
                yield return new GeneratedToken(index, emit, token, weights, diagnostics, memberTokens, fuseMs, stepMs) { LogProb = chosenLogProb, TopLogProbs = topLogProbs };
                run.Timings.AddStream(Stopwatch.GetElapsedTime(streamStart).TotalMilliseconds);
                if (stopped) { reason = "stop"; break; }
                if (ended is not null) { reason = ended; break; }
            }
            var tail = reason == "stop" ? "" : stops.Push(run.FlushText()).Emit + stops.Flush();
            if (tail.Length > 0) yield return new GeneratedToken(produced, tail, -1, null, null, null, 0, 0);
            var text = StopAt(run.Completion, request.Stop);
            yield return new GenerationFinished(reason, text, run.Main.Evidence?.TokenIds.Length ?? 0, produced, run.PrefillMilliseconds,
                total.Elapsed.TotalMilliseconds, produced > 0 ? fuseTotal / produced : 0, produced > 0 ? stepTotal / produced : 0)
            { Split = run.Timings.Steps > 0 ? run.Timings.Means() : null };
            metrics.RecordSplit(run.Timings);
        }
        finally
        {
            _run = null; // a finished session keeps no member distributions while its activation lingers
            logger.LogDebug("session {Session} ended after {Ms} ms", session, total.ElapsedMilliseconds);
            // no DeactivateOnIdle here: the caller still finishes the enumeration against this activation
        }
    }

    public async Task End()
    {
        await _ending.CancelAsync();
        if (_run is { } run) await run.DisposeAsync();
        _run = null;
    }

    public async Task<ScoreResult> Score(ScoreRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestValidator.Check(request, options.Value.Sessions);
        var (plans, methodName, parameters) = MemberPlanner.Plan(request.Members, request.Method, request.Parameters, options.Value);
        var method = ErrorMapping.Guard(() => FusionMethods.Create(methodName, parameters));
        try
        {
            // a text longer than a member's context is scored in windows, one run after another
            if (await ScoreWindows.PlanAsync(plans, request, GrainFactory, directory, catalog) is not { } windows)
                return await ScoreOneAsync(this.GetPrimaryKey(), plans, method, request, cancellationToken);
            var results = new List<ScoreResult>(windows.Count);
            foreach (var (_, window) in windows)
            {
                logger.LogInformation("scoring window {Window}/{Windows} ({Chars} characters)", results.Count + 1, windows.Count, window.Text.Length);
                // each window's run is its own owner of slots: a model refuses an owner whose sequences it has seen end
                results.Add(await ScoreOneAsync(Guid.NewGuid(), plans, method, window, cancellationToken));
            }
            return ScoreWindows.Combine(windows.Select(w => w.Window).ToList(), results);
        }
        finally
        {
            DeactivateOnIdle();
        }
    }

    private Task<ScoreResult> ScoreOneAsync(Guid owner, IReadOnlyList<MemberPlan> plans, FusionMethod method, ScoreRequest request, CancellationToken ct) =>
        method is ByteMethod byteMethod
            ? ByteScorer.ScoreAsync(owner, plans, byteMethod, request, GrainFactory, directory, catalog, logger, ct)
            : FusedScorer.ScoreAsync(owner, plans, method, request, GrainFactory, directory, catalog, logger, ct);

    // false when the deadline (not the caller) cut the prefill short
    private async Task<bool> PrefillOrDeadline(FusedRun run, CancellationToken ct, CancellationToken caller)
    {
        try
        {
            await ErrorMapping.GuardAsync(async () => { await run.PrefillAsync(catalog, freeUnusedMembers: true, ct); return true; });
            return true;
        }
        catch (OperationCanceledException) when (!caller.IsCancellationRequested)
        {
            return false;
        }
    }

    // The token's text, or null and why the generation ends: cancelled, deadline, or "length" when a member's
    // context is full (the token was still chosen and is returned with "length", as llama.cpp's server does).
    private static async Task<(string? Piece, string? Ended)> AdvanceOrStop(FusedRun run, int token, CancellationToken ct, CancellationToken caller)
    {
        try
        {
            return (await ErrorMapping.GuardAsync(() => run.AdvanceAsync(token, ct)), null);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return (null, caller.IsCancellationRequested ? "cancelled" : "deadline");
        }
        catch (ChorusException e) when (e.Kind == ChorusErrorKind.OutOfRange)
        {
            return (run.LastPiece, "length");
        }
    }

    internal static MemberStatus Status(RunMember m, bool showTokens = false)
    {
        var lps = m.Evidence?.LogProbs ?? [];
        var scored = lps.Where(lp => !float.IsNaN(lp)).ToArray();
        var ppl = scored.Length > 0 ? Math.Exp(-scored.Average()) : double.NaN;
        return new MemberStatus(m.Name, m.Plan.Role.ToString().ToLowerInvariant(), m.Facts.Silo, m.Evidence?.TokenIds.Length ?? 0, ppl)
        {
            PromptTokenIds = showTokens ? m.Evidence?.TokenIds : null,
        };
    }

    private static Dictionary<string, double> Weights(FusedRun run, FusedStep fused)
    {
        var w = new Dictionary<string, double>();
        for (var i = 0; i < run.Members.Count; i++) w[run.Members[i].Name] = fused.MemberWeights[i];
        return w;
    }

    private static Dictionary<string, string> Diagnostics(FusedRun run, FusedStep fused)
    {
        var d = new Dictionary<string, string> { ["ensembled"] = fused.Ensembled ? "true" : "false" };
        if (!float.IsNaN(fused.Alpha)) d["alpha"] = fused.Alpha.ToString("G4", System.Globalization.CultureInfo.InvariantCulture);
        if (fused.ChosenMember >= 0) d["chosen"] = run.Members[fused.ChosenMember].Name;
        if (!float.IsNaN(fused.Objective)) d["objective"] = fused.Objective.ToString("G4", System.Globalization.CultureInfo.InvariantCulture);
        return d;
    }

    internal static string StopAt(string text, string[]? stops)
    {
        foreach (var s in stops ?? [])
        {
            if (string.IsNullOrEmpty(s)) continue;
            var at = text.IndexOf(s, StringComparison.Ordinal);
            if (at >= 0) text = text[..at];
        }
        return text;
    }
}
