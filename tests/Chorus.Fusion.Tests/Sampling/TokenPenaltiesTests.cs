using Chorus.Fusion;

namespace Chorus.Fusion.Tests.Sampling;

public sealed class TokenPenaltiesTests
{
    private static readonly float[] LogProbs = [MathF.Log(0.4f), MathF.Log(0.3f), MathF.Log(0.2f), MathF.Log(0.1f)];

    [Fact]
    public void Neutral_penalties_change_nothing()
    {
        var penalties = new TokenPenalties(4, repetition: 1, presence: 0, frequency: 0);
        penalties.AddPrompt([0, 1]);
        penalties.AddGenerated(2);
        var output = new float[4];
        penalties.Apply(LogProbs, output);
        Assert.Equal(LogProbs, output);
    }

    [Fact]
    public void Presence_and_frequency_subtract_per_completion_occurrence_and_ignore_the_prompt()
    {
        var penalties = new TokenPenalties(4, repetition: 1, presence: 0.5f, frequency: 0.25f);
        penalties.AddPrompt([3]);
        penalties.AddGenerated(0);
        penalties.AddGenerated(0);
        penalties.AddGenerated(1);
        var output = new float[4];
        penalties.Apply(LogProbs, output);
        Assert.Equal(LogProbs[0] - (0.5f + 2 * 0.25f), output[0], 5);
        Assert.Equal(LogProbs[1] - (0.5f + 0.25f), output[1], 5);
        Assert.Equal(LogProbs[2], output[2]);
        Assert.Equal(LogProbs[3], output[3]); // a prompt token: OpenAI's penalties count the completion only
    }

    [Fact]
    public void Repetition_covers_prompt_and_completion_multiplying_negative_scores_and_dividing_positive_ones()
    {
        var penalties = new TokenPenalties(5, repetition: 2, presence: 0, frequency: 0);
        penalties.AddPrompt([3]);
        penalties.AddGenerated(1);
        penalties.AddGenerated(4);
        float[] scores = [.. LogProbs, 1.5f];
        var output = new float[5];
        penalties.Apply(scores, output);
        Assert.Equal(scores[0], output[0]);
        Assert.Equal(scores[1] * 2, output[1], 5);
        Assert.Equal(scores[2], output[2]);
        Assert.Equal(scores[3] * 2, output[3], 5);
        Assert.Equal(0.75f, output[4], 5);
    }

    [Fact]
    public void Greedy_draws_change_once_the_top_token_is_penalised()
    {
        var penalties = new TokenPenalties(4, repetition: 1, presence: 2, frequency: 0);
        var sampler = new Sampler(SamplerOptions.Greedy);
        var output = new float[4];
        penalties.Apply(LogProbs, output);
        Assert.Equal(0, sampler.Sample(output));
        penalties.AddGenerated(0);
        penalties.Apply(LogProbs, output);
        Assert.Equal(1, sampler.Sample(output));
    }

    [Theory]
    [InlineData(0f, 0f, 0f, "repetition_penalty")]
    [InlineData(float.NaN, 0f, 0f, "repetition_penalty")]
    [InlineData(1f, 2.5f, 0f, "presence_penalty")]
    [InlineData(1f, 0f, -3f, "frequency_penalty")]
    public void Out_of_range_penalties_are_refused_naming_the_field(float repetition, float presence, float frequency, string field)
    {
        var e = Assert.Throws<FusionParameterException>(() => new TokenPenalties(4, repetition, presence, frequency));
        Assert.StartsWith(field, e.Message, StringComparison.Ordinal);
    }
}
