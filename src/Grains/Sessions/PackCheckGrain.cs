using Chorus.Contracts;
using Chorus.Fusion;
using Chorus.Llama;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Chorus.Grains;

/// <summary>
/// <see cref="IPackCheckGrain"/>: loads every member's tokenizer on this silo (as a session would), maps the main vocabulary
/// onto each member with MinED (the maps a fusion would use, from the same cache), scores the sample text through the same
/// protocol as the Score RPC, and runs UniTE's Determine step on the evidence given.
/// </summary>
[LocalSessionPlacement, Orleans.GrainDirectory.GrainDirectory(LocalSessionDirectory.Name)]
internal sealed class PackCheckGrain(
    IOptions<ChorusOptions> options, ClusterModelDirectory directory, VocabularyCatalog catalog, ChorusMetrics metrics, ILogger<PackCheckGrain> logger)
    : Grain, IPackCheckGrain
{
    public Task<PackCheckResult> Check(PackCheckRequest request, CancellationToken cancellationToken = default) =>
        SessionErrors.TranslateAsync(() => CheckCore(request, cancellationToken));

    private async Task<PackCheckResult> CheckCore(PackCheckRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        RequestValidator.Check(request, options.Value.Sessions);
        try
        {
            var (plans, _, _) = MemberPlanner.Plan(request.Members, FusionMethods.Top1Perplexity, null, options.Value);
            var taskScores = Evidence(request.TaskScores, plans.Count, "task_scores");
            var lengths = Evidence(request.ResponseLengths, plans.Count, "response_lengths");
            var facts = new ModelFacts[plans.Count];
            var vocabularies = new LlamaVocabulary[plans.Count];
            for (var i = 0; i < plans.Count; i++)
            {
                directory.EnsureServed(plans[i].Model);
                var grain = GrainFactory.GetGrain<IModelGrain>(plans[i].Model);
                facts[i] = await grain.Describe();
                vocabularies[i] = await catalog.Vocabulary(grain, facts[i]);
            }
            var verdict = UniteCompatibility.Determine(
                [.. plans.Select((p, i) => new UniteCandidate(p.Model, vocabularies[i], taskScores?[i], lengths?[i]))]);
            var maps = await Task.Run(() => vocabularies.Select(v => catalog.Maps.Get(vocabularies[0], v).Statistics).ToArray(), cancellationToken);
            var scores = await ScoreSample(request, plans, cancellationToken);
            var members = plans.Select((p, i) => new MemberCheck(
                p.Model, facts[i].VocabularySize, facts[i].VocabularyHash, verdict.VocabularyOverlap[p.Model],
                maps[i].Exact, maps[i].MarkerSwap, maps[i].EditDistance, maps[i].Special,
                scores?[i].BitsPerByte ?? double.NaN, scores?[i].Bytes ?? 0,
                verdict.Compatible.Contains(p.Model), verdict.Excluded.GetValueOrDefault(p.Model))).ToArray();
            return new PackCheckResult(plans[0].Model, members, verdict.BaseMember, verdict.CanEnsemble, Explain(verdict, taskScores, lengths));
        }
        finally
        {
            DeactivateOnIdle();
        }
    }

    /// <summary>Each member alone on the sample, scored as the Score RPC scores members (everything after the first word or two).</summary>
    private async Task<MemberScore[]?> ScoreSample(PackCheckRequest request, List<MemberPlan> plans, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(request.Text)) return null;
        // top1-ppl runs on any vocabularies; only its per-member figures are used
        var method = plans.Count == 1 ? FusionMethods.Single : FusionMethods.Top1Perplexity;
        // the prompt is the first word (BOS + one token): every member must see at least one token of it
        var score = new ScoreRequest(request.Members, method, [], request.Text, PromptTokens: 2);
        var result = await FusedScorer.ScoreAsync(this.GetPrimaryKey(), plans, FusionMethods.Create(method, new Dictionary<string, string>()),
            score, GrainFactory, directory, catalog, metrics, logger, ct);
        return result.Members;
    }

    private static double[]? Evidence(double[]? values, int members, string field)
    {
        if (values is not { Length: > 0 }) return null;
        if (values.Length != members)
            throw RequestValidator.Invalid($"{field} has {values.Length} values for {members} members; give one per member, in member order, or none");
        return values;
    }

    private static string Explain(UniteVerdict verdict, double[]? taskScores, double[]? lengths)
    {
        var text = verdict.CanEnsemble
            ? $"UniTE ensembles {verdict.Compatible.Count} members around '{verdict.BaseMember}'"
            : $"UniTE would not ensemble: only '{verdict.BaseMember}' remains";
        if (verdict.Excluded.Count > 0)
            text += "; excluded: " + string.Join("; ", verdict.Excluded.Select(e => $"'{e.Key}': {e.Value}"));
        if (taskScores is null) text += "; no task scores given, so the 10-point performance rule was not applied";
        if (lengths is null) text += "; no response lengths given, so the response-style rule was not applied";
        return text;
    }
}
