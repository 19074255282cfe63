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
    public Option<ulong> Seed { get; } = new("--seed") { Description = "Sampler seed", DefaultValueFactory = _ => 0UL };
    public Option<string[]> Stop { get; } = new("--stop") { Description = "Stop string, repeatable (not included in the output)", Arity = ArgumentArity.ZeroOrMore };
    public Option<int> DeadlineMs { get; } = new("--deadline-ms") { Description = "Stop after this many milliseconds (0 = none)", DefaultValueFactory = _ => 0 };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { MaxTokens, Temperature, TopK, TopP, MinP, Seed, Stop, DeadlineMs }) command.Options.Add(o);
    }

    public Sampling Sampling(ParseResult parse) => new()
    {
        Temperature = parse.GetValue(Temperature),
        TopK = parse.GetValue(TopK),
        TopP = parse.GetValue(TopP),
        MinP = parse.GetValue(MinP),
        Seed = parse.GetValue(Seed),
    };

    public Limits Limits(ParseResult parse)
    {
        var limits = new Limits { MaxTokens = parse.GetValue(MaxTokens), DeadlineMs = parse.GetValue(DeadlineMs) };
        limits.Stop.AddRange(parse.GetValue(Stop) ?? []);
        return limits;
    }
}
