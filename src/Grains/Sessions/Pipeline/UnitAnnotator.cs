using System.Globalization;
using Chorus.Contracts;
using Chorus.Fusion;

namespace Chorus.Grains;

/// <summary>
/// Turns the fused step that chose a unit into what the request asked to see of it — weights and diagnostics
/// (<c>show_weights</c>), log-probabilities (<c>logprobs</c>/<c>top_logprobs</c>) — at the moment the unit is chosen: a
/// method reuses its step's buffers for the next fuse, so a stepper that fuses several rows per step (speculation) must
/// annotate each unit before fusing the next row. Made once the members are open (the fused vocabulary is known then).
/// </summary>
internal sealed class UnitAnnotator(LoopOptions request, FusedRun run)
{
    private readonly FusedLogProbs? _logProbs = request.TopLogProbs >= 0 ? new FusedLogProbs(run.Main.Vocabulary, request.TopLogProbs) : null;

    /// <summary>True when member tokens are to be reported per unit.</summary>
    public bool MemberTokens => request.ShowMemberTokens;

    /// <summary>The notes of a token chosen from <paramref name="fused"/> (null when the request asked for none).</summary>
    public UnitNotes? Of(FusedStep fused, int token)
    {
        if (!request.ShowWeights && _logProbs is null) return null;
        var (chosen, top) = _logProbs?.Of(fused, token) ?? default;
        return new UnitNotes(request.ShowWeights ? Weights(fused.MemberWeights) : null, request.ShowWeights ? Diagnostics(fused) : null, chosen, top);
    }

    /// <summary>The notes of a byte-level unit: the member weights it was drawn under.</summary>
    public UnitNotes? OfWeights(ReadOnlySpan<double> weights)
    {
        if (!request.ShowWeights) return null;
        var w = new Dictionary<string, double>();
        for (var i = 0; i < run.Members.Count; i++) w[run.Members[i].Name] = weights[i];
        return new UnitNotes(w, null, null, null);
    }

    private Dictionary<string, double> Weights(ReadOnlySpan<float> weights)
    {
        var w = new Dictionary<string, double>();
        for (var i = 0; i < run.Members.Count; i++) w[run.Members[i].Name] = weights[i];
        return w;
    }

    private Dictionary<string, string> Diagnostics(FusedStep fused)
    {
        var d = new Dictionary<string, string> { ["ensembled"] = fused.Ensembled ? "true" : "false" };
        if (!float.IsNaN(fused.Alpha)) d["alpha"] = fused.Alpha.ToString("G4", CultureInfo.InvariantCulture);
        if (fused.ChosenMember >= 0) d["chosen"] = run.Members[fused.ChosenMember].Name;
        if (!float.IsNaN(fused.Objective)) d["objective"] = fused.Objective.ToString("G4", CultureInfo.InvariantCulture);
        return d;
    }
}
