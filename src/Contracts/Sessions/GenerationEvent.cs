namespace Chorus.Contracts;

/// <summary>An event of a fused generation: <see cref="GenerationQueued"/> while waiting for slots, <see cref="GenerationStarted"/>, then <see cref="GeneratedToken"/>s, then <see cref="GenerationFinished"/>.</summary>
[GenerateSerializer, Immutable, Alias("chorus.GenerationEvent")]
public abstract record GenerationEvent;

/// <summary>A member as the session sees it after prefill.</summary>
[GenerateSerializer, Immutable, Alias("chorus.MemberStatus")]
public sealed record MemberStatus(
    [property: Id(0)] string Model,
    [property: Id(1)] string Role,
    [property: Id(2)] string Silo,
    [property: Id(3)] int PromptTokens,
    [property: Id(4)] double PromptPerplexity)
{
    /// <summary>The member's prompt as it tokenized it (its own chat template applied), when member tokens were asked for.</summary>
    [Id(20)] public int[]? PromptTokenIds { get; init; }
}

[GenerateSerializer, Immutable, Alias("chorus.GenerationStarted")]
public sealed record GenerationStarted(
    [property: Id(0)] Guid Session,
    [property: Id(1)] string Method,
    [property: Id(2)] MemberStatus[] Members,
    [property: Id(3)] double PrefillMilliseconds) : GenerationEvent;

[GenerateSerializer, Immutable, Alias("chorus.GeneratedToken")]
public sealed record GeneratedToken(
    [property: Id(0)] int Index,
    [property: Id(1)] string Text,
    [property: Id(2)] int TokenId,
    [property: Id(3)] Dictionary<string, double>? Weights,
    [property: Id(4)] Dictionary<string, string>? Diagnostics,
    [property: Id(5)] Dictionary<string, int[]>? MemberTokens,
    [property: Id(6)] double FuseMilliseconds,
    [property: Id(7)] double StepMilliseconds) : GenerationEvent
{
    /// <summary>The chosen token under the fused distribution, when log-probabilities were asked for.</summary>
    [Id(20)] public TokenLogProb? LogProb { get; init; }

    /// <summary>The most likely tokens of the fused distribution, most likely first, when asked for.</summary>
    [Id(21)] public TokenLogProb[]? TopLogProbs { get; init; }
}

[GenerateSerializer, Immutable, Alias("chorus.GenerationFinished")]
public sealed record GenerationFinished(
    [property: Id(0)] string Reason,
    [property: Id(1)] string Text,
    [property: Id(2)] int PromptTokens,
    [property: Id(3)] int CompletionTokens,
    [property: Id(4)] double PrefillMilliseconds,
    [property: Id(5)] double TotalMilliseconds,
    [property: Id(6)] double MeanFuseMilliseconds,
    [property: Id(7)] double MeanStepMilliseconds) : GenerationEvent
{
    /// <summary>Speculative generation: tokens the drafter proposed, and how many of them the fused distribution accepted.</summary>
    [Id(8)] public int DraftedTokens { get; init; }

    [Id(9)] public int AcceptedTokens { get; init; }

    /// <summary>Speculative generation: draft-and-verify rounds (each one decode per member).</summary>
    [Id(10)] public int Rounds { get; init; }

    /// <summary>Where a step's time went on average (plain generation; null when no step ran).</summary>
    [Id(11)] public StepSplit? Split { get; init; }

    /// <summary>Greedy speculative generation: rounds whose drafts were made ahead, while the round before was verified.</summary>
    [Id(12)] public int PipelinedRounds { get; init; }

    /// <summary>Speculative generation: rounds without drafts (drafting paused, or nothing to propose).</summary>
    [Id(13)] public int PlainRounds { get; init; }

    /// <summary>Speculative generation: why drafting last paused ("acceptance" or "cost"), null when it never did.</summary>
    [Id(14)] public string? SpeculationPaused { get; init; }

    /// <summary>
    /// Greedy speculative generation: plain rounds in which the drafter's first draft was known at no cost (a drafting
    /// member's arg-max, prompt lookup), and how many of those guesses were the settled token. Pauses are judged by them.
    /// </summary>
    [Id(15)] public int FreeGuesses { get; init; }
    [Id(16)] public int FreeGuessesKept { get; init; }
}

/// <summary>The request waits for a member's slots (before <see cref="GenerationStarted"/>): where it stands in that model's queue.</summary>
[GenerateSerializer, Immutable, Alias("chorus.GenerationQueued")]
public sealed record GenerationQueued(
    [property: Id(0)] string Model,
    [property: Id(1)] int Position,
    [property: Id(2)] int QueueLength,
    [property: Id(3)] double WaitedMilliseconds) : GenerationEvent;
