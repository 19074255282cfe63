using System.CommandLine;
using Chorus.Api;

namespace Chorus.Client.Commands;

/// <summary>How the fused token is drawn and when generation stops.</summary>
internal sealed class SamplingArguments
{
    public Option<int> MaxTokens { get; } = new("--max-tokens", "-n") { Description = "Most tokens to generate (0 = the cluster's default)", DefaultValueFactory = _ => 0 };
    public Option<float> Temperature { get; } = new("--temperature", "-t") { Description = "Sampling temperature (0 = greedy)", DefaultValueFactory = _ => 0f };
    public Option<int> TopK { get; } = new("--top-k") { Description = "Keep the k most probable tokens (0 = off)", DefaultValueFactory = _ => 0 };
    public Option<float> TopP { get; } = new("--top-p") { Description = "Nucleus sampling mass (1 = off)", DefaultValueFactory = _ => 1f };
    public Option<float> MinP { get; } = new("--min-p") { Description = "Drop tokens below this fraction of the top probability (0 = off)", DefaultValueFactory = _ => 0f };
    public Option<ulong?> Seed { get; } = new("--seed") { Description = "Sampler seed (default: a fresh seed per request)" };
    public Option<float> RepetitionPenalty { get; } = new("--repetition-penalty") { Description = "vLLM's repetition penalty over prompt and completion tokens (1 = off)", DefaultValueFactory = _ => 1f };
    public Option<float> PresencePenalty { get; } = new("--presence-penalty") { Description = "OpenAI's presence penalty over completion tokens, in [-2, 2] (0 = off)", DefaultValueFactory = _ => 0f };
    public Option<float> FrequencyPenalty { get; } = new("--frequency-penalty") { Description = "OpenAI's frequency penalty over completion tokens, in [-2, 2] (0 = off)", DefaultValueFactory = _ => 0f };
    public Option<string[]> Stop { get; } = new("--stop") { Description = "Stop string, repeatable (not included in the output)", Arity = ArgumentArity.ZeroOrMore };
    public Option<int> DeadlineMs { get; } = new("--deadline-ms") { Description = "Stop after this many milliseconds (0 = none)", DefaultValueFactory = _ => 0 };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { MaxTokens, Temperature, TopK, TopP, MinP, Seed, RepetitionPenalty, PresencePenalty, FrequencyPenalty, Stop, DeadlineMs }) command.Options.Add(o);
    }

    public Sampling Sampling(ParseResult parse)
    {
        var sampling = new Sampling
        {
            Temperature = parse.GetValue(Temperature),
            TopK = parse.GetValue(TopK),
            TopP = parse.GetValue(TopP),
            MinP = parse.GetValue(MinP),
            RepetitionPenalty = parse.GetValue(RepetitionPenalty),
            PresencePenalty = parse.GetValue(PresencePenalty),
            FrequencyPenalty = parse.GetValue(FrequencyPenalty),
        };
        if (parse.GetValue(Seed) is { } seed) sampling.Seed = seed;
        return sampling;
    }

    public Limits Limits(ParseResult parse)
    {
        var limits = new Limits { MaxTokens = parse.GetValue(MaxTokens), DeadlineMs = parse.GetValue(DeadlineMs) };
        limits.Stop.AddRange(parse.GetValue(Stop) ?? []);
        return limits;
    }
}
