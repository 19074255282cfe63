namespace Chorus.Contracts;

/// <summary>Who fuses: a named pack, or models in the order that defines roles (see docs/cli.md "Roles").</summary>
[GenerateSerializer, Immutable, Alias("chorus.MemberSelection")]
public sealed record MemberSelection(
    [property: Id(0)] string? Pack,
    [property: Id(1)] string[] Models);

/// <summary>How the fused token is drawn (temperature 0 = greedy), penalties included.</summary>
[GenerateSerializer, Immutable, Alias("chorus.SamplingSpec")]
public sealed record SamplingSpec(
    [property: Id(0)] float Temperature = 0,
    [property: Id(1)] int TopK = 0,
    [property: Id(2)] float TopP = 1,
    [property: Id(3)] float MinP = 0,
    [property: Id(4)] ulong Seed = 0)
{
    /// <summary>vLLM's repetition penalty over the prompt's and the completion's tokens (1 = off).</summary>
    [Id(5)] public float RepetitionPenalty { get; init; } = 1;

    /// <summary>OpenAI's presence penalty over the completion's tokens (0 = off).</summary>
    [Id(6)] public float PresencePenalty { get; init; }

    /// <summary>OpenAI's frequency penalty over the completion's tokens (0 = off).</summary>
    [Id(7)] public float FrequencyPenalty { get; init; }

    /// <summary>True when any penalty changes the distribution.</summary>
    public bool HasPenalties => RepetitionPenalty != 1 || PresencePenalty != 0 || FrequencyPenalty != 0;
}

/// <summary>One fused generation.</summary>
[GenerateSerializer, Immutable, Alias("chorus.GenerationRequest")]
public sealed record GenerationRequest(
    [property: Id(0)] MemberSelection Members,
    [property: Id(1)] string? Method,
    [property: Id(2)] Dictionary<string, string> Parameters,
    [property: Id(3)] string Prompt,
    [property: Id(4)] SamplingSpec Sampling,
    [property: Id(5)] int MaxTokens = 0,
    [property: Id(6)] string[]? Stop = null,
    [property: Id(7)] int DeadlineMilliseconds = 0,
    [property: Id(8)] bool ShowWeights = false,
    [property: Id(9)] bool ShowMemberTokens = false)
{
    /// <summary>
    /// A conversation instead of <see cref="Prompt"/>: every member formats it with its own chat template and
    /// generation continues the assistant's turn (ids from 20 on leave room for other additions).
    /// </summary>
    [Id(20)] public ChatTurn[]? Messages { get; init; }

    /// <summary>Log-probabilities of the fused distribution for each token: -1 none, 0 the chosen token's, n also the n most likely.</summary>
    [Id(21)] public int TopLogProbs { get; init; } = -1;

    /// <summary>Speculative ensembling: a drafter proposes this many tokens per round and every member verifies them in one decode (0 = off).</summary>
    [Id(10)] public int Speculate { get; init; }

    /// <summary>Who drafts when <see cref="Speculate"/> &gt; 0: a member's model, another model of the main vocabulary, or "ngram" (prompt lookup, no model); null = the member the method weighs most at the prompt (main on a tie).</summary>
    [Id(11)] public string? Drafter { get; init; }
}
