using Chorus.Api;
using Chorus.Client.Cluster;
using Chorus.Llama;

namespace Chorus.Client.Eval;

/// <summary>
/// Scores windows through the cluster's <c>Score</c> RPC and aggregates them per text set: perplexity from the total NLL
/// over all tokens, bits per byte from the same NLL over all bytes.
/// </summary>
public sealed class EvalRunner(ChorusApiClient client, TextWriter progress, IReadOnlyDictionary<string, string>? parameters = null)
{
    /// <summary>Every method on every window; member-alone figures come with the first method's replies.</summary>
    public async Task<TextSetScore> ScoreAsync(string suite, string textSet, IReadOnlyList<string> members, IReadOnlyList<string> methods,
        IReadOnlyList<EvalText> windows, Action<string, EvalText, ScoreReply>? onReply = null, CancellationToken cancellationToken = default)
    {
        var alone = new (double Nll, int Tokens, long Bytes)[members.Count];
        var scores = new List<MethodScore>();
        foreach (var method in methods)
        {
            double nll = 0;
            var tokens = 0;
            long bytes = 0;
            var weights = new double[members.Count];
            var diagnostics = new SortedDictionary<string, double>(StringComparer.Ordinal);
            for (var i = 0; i < windows.Count; i++)
            {
                await progress.WriteAsync($"\r{suite,-16} {textSet,-12} {method,-13} window {i + 1}/{windows.Count}   ");
                var reply = await ScoreOneAsync(members, method, windows[i].Text, cancellationToken);
                onReply?.Invoke(method, windows[i], reply);
                foreach (var (key, value) in reply.Diagnostics)
                {
                    if (double.IsFinite(value)) Contracts.ScoreDiagnostics.Accumulate(diagnostics, key, value);
                }
                nll += reply.MeanNll * reply.Tokens;
                tokens += reply.Tokens;
                bytes += reply.Bytes;
                for (var k = 0; k < members.Count; k++)
                {
                    weights[k] += reply.Members[k].Weight * reply.Tokens;
                    var m = reply.Members[k];
                    if (scores.Count == 0) alone[k] = (alone[k].Nll + m.MeanNll * m.Tokens, alone[k].Tokens + m.Tokens, alone[k].Bytes + m.Bytes);
                }
            }
            scores.Add(new MethodScore(method, Math.Exp(nll / Math.Max(1, tokens)), tokens, weights.Select(w => w / Math.Max(1, tokens)).ToArray(),
                bytes, ByteLoss.BitsPerByte(nll, bytes)) { Diagnostics = diagnostics.Count > 0 ? diagnostics : null });
        }
        await progress.WriteLineAsync();
        var aloneScores = members.Select((m, k) => new MemberAlone(m, Math.Exp(alone[k].Nll / Math.Max(1, alone[k].Tokens)), alone[k].Tokens,
            alone[k].Bytes, ByteLoss.BitsPerByte(alone[k].Nll, alone[k].Bytes))).ToArray();
        return new TextSetScore(suite, textSet, windows.Count, members, aloneScores, scores);
    }

    /// <summary>Routes each prompt with <paramref name="method"/> and counts the picks of the domain's expert (members[i] serves domains[i]).</summary>
    public async Task<RoutingAccuracy> RoutingAsync(IReadOnlyList<string> members, IReadOnlyList<string> domains, string method,
        IReadOnlyList<EvalText> prompts, CancellationToken cancellationToken = default)
    {
        var perDomain = domains.ToDictionary(d => d, _ => new DomainRouting(0, 0));
        for (var i = 0; i < prompts.Count; i++)
        {
            await progress.WriteAsync($"\rrouting          {method,-13} prompt {i + 1}/{prompts.Count}   ");
            var reply = await ScoreOneAsync(members, method, prompts[i].Text, cancellationToken);
            var picked = Enumerable.Range(0, members.Count).MaxBy(k => reply.Members[k].Weight);
            var entry = perDomain[prompts[i].Domain];
            perDomain[prompts[i].Domain] = new DomainRouting(entry.Prompts + 1, entry.Correct + (domains[picked] == prompts[i].Domain ? 1 : 0));
        }
        await progress.WriteLineAsync();
        return new RoutingAccuracy(method, prompts.Count, perDomain.Values.Sum(v => v.Correct), perDomain);
    }

    private async Task<ScoreReply> ScoreOneAsync(IReadOnlyList<string> members, string method, string text, CancellationToken cancellationToken)
    {
        var request = new ScoreRequest { Members = new Members(), Method = method, Text = text };
        request.Members.Models.AddRange(members);
        foreach (var (key, value) in parameters ?? new Dictionary<string, string>())
            request.Params[key] = value;
        return await client.ScoreAsync(request, cancellationToken);
    }
}
