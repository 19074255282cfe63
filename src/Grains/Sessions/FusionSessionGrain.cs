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
        // engine and fusion errors become ChorusExceptions once, here at the grain's boundary
        return ReadAhead.Run(ct => trace!.Observe(SessionErrors.Translate(GenerateCore(request, ct), ct), ct), ReadAheadEvents,
            ambient: () => trace = SessionTrace.Start(this.GetPrimaryKey(), silo.SiloAddress.ToString(), metrics), cancellationToken);
    }

    private async IAsyncEnumerable<GenerationEvent> GenerateCore(GenerationRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var limits = options.Value.Sessions;
        RequestValidator.Check(request, limits); // every front end's requests meet the same limits, before any work
        var maxUnits = request.MaxTokens > 0 ? request.MaxTokens : limits.DefaultMaxTokens;
        var samplerOptions = new SamplerOptions { Temperature = request.Sampling.Temperature, TopK = request.Sampling.TopK, TopP = request.Sampling.TopP, MinP = request.Sampling.MinP, Seed = request.Sampling.Seed };
        samplerOptions.Validate();
        var sampler = new Sampler(samplerOptions);
        var (plans, methodName, parameters) = MemberPlanner.Plan(request.Members, request.Method, request.Parameters, options.Value);
        var method = FusionMethods.Create(methodName, parameters);
        ModeRules.CheckMethod(request, method); // the gateway checked too; a client of the grains reaches here first

        // End() from the front end counts as the caller cancelling, whatever Orleans delivered of the client's cancellation
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _ending.Token);
        cancellationToken = caller.Token;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (request.DeadlineMilliseconds > 0) deadline.CancelAfter(request.DeadlineMilliseconds);
        var session = this.GetPrimaryKey();
        var started = Stopwatch.GetTimestamp();
        await using var run = await FusedRun.ResolveAsync(session, plans, method, request.Prompt, GrainFactory, directory, catalog, logger, request.Messages);
        _run = run;
        try
        {
            // one loop for every mode: a mode is how a step commits its units
            await using IGenerationStepper stepper = method switch
            {
                ByteMethod byteMethod => new ByteStepper(ByteRun.Over(run, byteMethod), sampler, catalog),
                _ when request.Speculate > 0 => new SpeculativeStepper(run, sampler, request, new(session, GrainFactory, directory, limits.SpeculationCostCheck), catalog),
                _ => new TokenStepper(run, sampler, request.Sampling, catalog),
            };
            await foreach (var e in new GenerationLoop(LoopOptions.From(request), maxUnits, metrics).RunAsync(session, method.Name, stepper, deadline.Token, cancellationToken))
                yield return e;
        }
        finally
        {
            _run = null; // a finished session keeps no member distributions while its activation lingers
            logger.LogDebug("session {Session} ended after {Ms} ms", session, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            // no DeactivateOnIdle here: the caller still finishes the enumeration against this activation
        }
    }

    public async Task End()
    {
        await _ending.CancelAsync();
        if (_run is { } run) await run.DisposeAsync();
        _run = null;
    }

    public Task<ScoreResult> Score(ScoreRequest request, CancellationToken cancellationToken = default) =>
        SessionErrors.TranslateAsync(() => ScoreCore(request, cancellationToken));

    private async Task<ScoreResult> ScoreCore(ScoreRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestValidator.Check(request, options.Value.Sessions);
        var (plans, methodName, parameters) = MemberPlanner.Plan(request.Members, request.Method, request.Parameters, options.Value);
        var method = FusionMethods.Create(methodName, parameters);
        try
        {
            // a text longer than a member's context is scored in windows, one run after another
            if (await ScoreWindows.PlanAsync(plans, request, method is ByteMethod, GrainFactory, directory, catalog) is not { } windows)
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
            ? ByteScorer.ScoreAsync(owner, plans, byteMethod, request, GrainFactory, directory, catalog, metrics, logger, ct)
            : FusedScorer.ScoreAsync(owner, plans, method, request, GrainFactory, directory, catalog, metrics, logger, ct);
}
