using Chorus.Fusion;
using Chorus.Llama;

namespace Chorus.Cluster.Tests;

/// <summary>The reference: the same greedy fusion computed directly with Chorus.Llama + Chorus.Fusion in this process, no Orleans.</summary>
internal static class DirectFusion
{
    public static List<int> GreedyTokens(string method, string prompt, int maxTokens, params string[] models)
    {
        var loaded = models.Select(m => LlamaModel.Load(ClusterFixture.PathOf(m))).ToList();
        var runners = loaded.Select(m => new ModelRunner(m, new LlamaContextOptions { ContextSize = 512 })).ToList();
        try
        {
            var fusion = FusionMethods.Create(method);
            var request = fusion.Requirements.NeedsFullLogits ? DistributionRequest.Full : DistributionRequest.Top(fusion.Requirements.TopK);
            var sequences = runners.Select(r => r.Open()).ToList();
            var prefills = runners.Select((r, i) => r.Prefill(sequences[i], r.Vocabulary.Tokenize(prompt, addSpecial: true), request)).ToList();
            var members = models.Select((m, i) => new FusionMember(m, loaded[i].Vocabulary, i == 0 ? MemberRole.Main : MemberRole.Expert)
            { ParameterCount = (long)loaded[i].ParameterCount }).ToList();
            var evidence = prefills.Select((p, i) => PromptEvidence.FromLogProbs(sequences[i].Tokens.ToArray(), p.TokenLogProbs)).ToList();
            var session = fusion.Prepare(new FusionRequest { Members = members, Evidence = evidence, PromptText = prompt });
            var current = prefills.Select(p => p.Next).ToList();
            var tokens = new List<int>();
            for (var step = 0; step < maxTokens; step++)
            {
                var token = session.Fuse(current).ArgMax();
                if (loaded[0].Vocabulary.IsEndOfGeneration(token)) break;
                tokens.Add(token);
                current = runners.Select((r, i) => r.Append(sequences[i], [token], request)).ToList();
            }
            return tokens;
        }
        finally
        {
            foreach (var r in runners) r.Dispose();
            foreach (var m in loaded) m.Dispose();
        }
    }
}
