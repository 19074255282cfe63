using Chorus.Api;
using Chorus.Contracts;

namespace Chorus.Silo.Services;

/// <summary>Between protobuf messages and grain DTOs.</summary>
internal static class ApiMapping
{
    public static GenerationRequest ToRequest(GenerateRequest r) => new(
        Members(r.Members), NullIfEmpty(r.Method), new Dictionary<string, string>(r.Params), r.Prompt,
        Sampling(r.Sampling),
        r.Limits?.MaxTokens ?? 0, r.Limits?.Stop.ToArray(), r.Limits?.DeadlineMs ?? 0, r.ShowWeights, r.ShowMemberTokens)
    {
        Messages = r.Messages.Count > 0 ? r.Messages.Select(m => new ChatTurn(m.Role, m.Content)).ToArray() : null,
        TopLogProbs = r.Logprobs ? r.TopLogprobs : -1,
        Speculate = r.Speculate, Drafter = NullIfEmpty(r.Drafter),
    };

    // proto3 zero means "unset": repetition_penalty 0 is off (1); a seed counts only when the client set one
    private static SamplingSpec Sampling(Api.Sampling? s) => new(s?.Temperature ?? 0, s?.TopK ?? 0, s?.TopP ?? 0, s?.MinP ?? 0,
        RequestSeeds.FreshUnlessGiven(s is { HasSeed: true } ? s.Seed : null))
    {
        RepetitionPenalty = s is null || s.RepetitionPenalty == 0 ? 1 : s.RepetitionPenalty,
        PresencePenalty = s?.PresencePenalty ?? 0,
        FrequencyPenalty = s?.FrequencyPenalty ?? 0,
    };

    public static Contracts.ScoreRequest ToRequest(Api.ScoreRequest r) =>
        new(Members(r.Members), NullIfEmpty(r.Method), new Dictionary<string, string>(r.Params), r.Text);

    public static GenerateEvent ToEvent(GenerationEvent e) => e switch
    {
        GenerationStarted s => new GenerateEvent { Started = Started(s) },
        GeneratedToken t => new GenerateEvent { Token = Token(t) },
        GenerationFinished f => new GenerateEvent
        {
            Finished = new Finished
            {
                Reason = f.Reason, FinishReason = FinishReasonOf(f.Reason), Text = f.Text,
                Usage = new Usage { PromptTokens = f.PromptTokens, CompletionTokens = f.CompletionTokens },
                Timings = new Timings
                {
                    PrefillMs = f.PrefillMilliseconds, TotalMs = f.TotalMilliseconds,
                    TokensPerSecond = f.CompletionTokens / Math.Max(1e-9, (f.TotalMilliseconds - f.PrefillMilliseconds) / 1000.0),
                    MeanFuseMs = f.MeanFuseMilliseconds, MeanStepMs = f.MeanStepMilliseconds,
                    DraftedTokens = f.DraftedTokens, AcceptedTokens = f.AcceptedTokens, Rounds = f.Rounds, PipelinedRounds = f.PipelinedRounds,
                    PlainRounds = f.PlainRounds, SpeculationPaused = f.SpeculationPaused ?? "",
                    FreeGuesses = f.FreeGuesses, FreeGuessesKept = f.FreeGuessesKept,
                    MeanCallMs = f.Split?.CallMilliseconds ?? 0, MeanTransportMs = f.Split?.TransportMilliseconds ?? 0,
                    MeanQueueMs = f.Split?.QueueMilliseconds ?? 0, MeanDecodeMs = f.Split?.DecodeMilliseconds ?? 0,
                    MeanReadMs = f.Split?.ReadMilliseconds ?? 0, MeanGrainMs = f.Split?.GrainMilliseconds ?? 0,
                    MeanSampleMs = f.Split?.SampleMilliseconds ?? 0, MeanStreamMs = f.Split?.StreamMilliseconds ?? 0,
                },
            },
        },
        GenerationQueued q => new GenerateEvent
        {
            Queued = new Queued { Model = q.Model, Position = q.Position, QueueLength = q.QueueLength, WaitedMs = q.WaitedMilliseconds },
        },
        _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "unknown generation event"),
    };

    /// <summary>The enum beside the string (Finished.reason); a reason newer than the enum stays only in the string.</summary>
    public static FinishReason FinishReasonOf(string reason) => reason switch
    {
        "eog" => FinishReason.Eog,
        "max_tokens" => FinishReason.MaxTokens,
        "length" => FinishReason.Length,
        "stop" => FinishReason.Stop,
        "deadline" => FinishReason.Deadline,
        "cancelled" => FinishReason.Cancelled,
        _ => FinishReason.Unspecified,
    };

    /// <summary>A configured pack as ListModels lists it.</summary>
    public static PackDescription ToPack(Grains.PackOptions p)
    {
        var pack = new PackDescription { Name = p.Name, Method = p.Method };
        pack.Members.AddRange(p.Members.Select(m => new PackMember { Model = m.Model, Role = m.Role ?? "" }));
        pack.Params.Add(p.Parameters);
        return pack;
    }

    public static ScoreReply ToReply(ScoreResult r)
    {
        var reply = new ScoreReply { Method = r.Method, Tokens = r.Tokens, Perplexity = r.Perplexity, MeanNll = r.MeanNll, BitsPerByte = r.BitsPerByte, Bytes = r.Bytes };
        if (r.Diagnostics is { } diagnostics) reply.Diagnostics.Add(diagnostics);
        reply.Windows.AddRange((r.Windows ?? []).Select(w => new Api.ScoreWindow
        {
            StartChar = w.StartChar, ScoredChar = w.ScoredChar, EndChar = w.EndChar, Tokens = w.Tokens, Bytes = w.Bytes, BitsPerByte = w.BitsPerByte,
        }));
        reply.Members.AddRange(r.Members.Select(m => new Api.MemberScore
        {
            Model = m.Model, Tokens = m.Tokens, Perplexity = m.Perplexity, MeanNll = m.MeanNll, Weight = m.Weight, BitsPerByte = m.BitsPerByte, Bytes = m.Bytes,
        }));
        return reply;
    }

    public static ModelDescription ToDescription(ModelFacts f, SlotUsage slots, int silos) => new()
    {
        Id = f.Id, Silo = silos > 1 ? $"{f.Silo} (+{silos - 1})" : f.Silo, Path = System.IO.Path.GetFileName(f.Path), Vocabulary = f.VocabularyKind, VocabularyHash = f.VocabularyHash,
        VocabularySize = f.VocabularySize, Parameters = (ulong)f.Parameters, ContextSize = f.ContextSize, MaxSequences = f.MaxSequences,
        ActiveSequences = slots.ActiveSequences, Description = f.Description, Device = f.Device,
        Waiting = slots.Waiting, SweptSequences = slots.SweptSequences, Unhealthy = !slots.Healthy, ChatTemplate = f.ChatTemplate ?? "",
    };

    /// <summary>One replica on its silo (ListModelsReply.replicas).</summary>
    public static ModelDescription ToReplica(string key, ModelFacts f, SlotUsage slots)
    {
        var d = ToDescription(f, slots, 1);
        d.Replica = key;
        d.Sessions = slots.Sessions.Length;
        return d;
    }

    public static StepLogitsReply ToReply(DistributionData d, int contextTokens)
    {
        var reply = new StepLogitsReply { VocabularySize = d.VocabularySize, LogSumExp = d.LogSumExp, ContextTokens = contextTokens };
        if (d.Logits is not null) reply.Logits.AddRange(d.Logits);
        if (d.TopTokens is not null) reply.TopTokens.AddRange(d.TopTokens);
        if (d.TopLogProbs is not null) reply.TopLogProbs.AddRange(d.TopLogProbs);
        return reply;
    }

    private static Started Started(GenerationStarted s)
    {
        var started = new Started { Session = s.Session.ToString(), Method = s.Method };
        foreach (var m in s.Members)
        {
            var info = new MemberInfo { Model = m.Model, Role = m.Role, Silo = m.Silo, PromptTokens = m.PromptTokens, PromptPerplexity = m.PromptPerplexity };
            if (m.PromptTokenIds is { } ids) info.PromptTokenIds.AddRange(ids);
            started.Members.Add(info);
        }
        return started;
    }

    private static TokenEvent Token(GeneratedToken t)
    {
        var e = new TokenEvent { Index = t.Index, Text = t.Text, TokenId = t.TokenId, FuseMs = t.FuseMilliseconds, StepMs = t.StepMilliseconds };
        if (t.LogProb is { } lp) e.Logprob = LogProb(lp);
        if (t.TopLogProbs is { } top) e.TopLogprobs.AddRange(top.Select(LogProb));
        if (t.Weights is not null) e.Weights.Add(t.Weights);
        if (t.Diagnostics is not null) e.Diagnostics.Add(t.Diagnostics);
        if (t.MemberTokens is not null)
            foreach (var (model, ids) in t.MemberTokens)
            {
                var mt = new MemberTokens { Model = model };
                mt.TokenIds.AddRange(ids);
                e.MemberTokens.Add(mt);
            }
        return e;
    }

    private static Api.TokenLogProb LogProb(Contracts.TokenLogProb lp) =>
        new() { TokenId = lp.TokenId, Text = lp.Text, Logprob = lp.LogProb, Bytes = Google.Protobuf.ByteString.CopyFrom(lp.Bytes) };

    private static MemberSelection Members(Api.Members? m) => new(NullIfEmpty(m?.Pack), m?.Models.ToArray() ?? []);

    private static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s;
}
