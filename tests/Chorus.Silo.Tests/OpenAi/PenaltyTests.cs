using Chorus.Api;
using Grpc.Core;

namespace Chorus.Silo.Tests.OpenAi;

/// <summary>
/// Repetition, presence and frequency penalties on the fused distribution of a real pack (two vocabularies), checked
/// against vLLM's definitions from what the server itself reports: each step's reported log-probabilities are the fused
/// distribution before penalties, so the chosen token must be the arg-max of those log-probabilities penalised by the
/// prompt and the tokens before it.
/// </summary>
[Collection(OpenAiSiloCollection.Name)]
public sealed class PenaltyTests(OpenAiSiloFixture fixture)
{
    private const string Prompt = "The river ran past the old mill and the river ran on";
    private const int Tokens = 24;
    // a synthetic model's greedy path seldom offers a repeat as its top choice, so discouraging penalties may change
    // nothing; encouraging ones (θ < 1, negative presence and frequency) make repeats win, and must change choices
    private const float Repetition = 0.5f, Presence = -1f, Frequency = -1f;

    [Theory]
    [InlineData(Repetition, Presence, Frequency, true)]
    [InlineData(1.3f, 0.4f, 0.6f, false)]
    public async Task Each_greedy_token_is_the_argmax_of_the_penalised_fused_distribution(float repetition, float presence, float frequency, bool mustChange)
    {
        var request = Request(repetition, presence, frequency);
        request.Logprobs = true;
        request.TopLogprobs = 20;
        request.ShowMemberTokens = true;
        HashSet<int> prompt = [];
        var generated = new Dictionary<int, int>();
        int steps = 0, changed = 0;
        await foreach (var e in fixture.Client.GenerateAsync(request))
        {
            if (e.Started is { } started) prompt = [.. started.Members.Single(m => m.Role == "main").PromptTokenIds];
            if (e.Token is not { TokenId: >= 0 } token) continue;
            double Penalised(int id, double logProb)
            {
                var s = prompt.Contains(id) || generated.ContainsKey(id) ? logProb * repetition : logProb;
                return generated.TryGetValue(id, out var n) ? s - frequency * n - presence : s;
            }
            var chosen = Penalised(token.TokenId, token.Logprob.Logprob);
            foreach (var t in token.TopLogprobs)
                Assert.True(chosen >= Penalised(t.TokenId, t.Logprob) - 1e-3,
                    $"step {steps}: chose {token.TokenId} (penalised {chosen:F4}) over {t.TokenId} (penalised {Penalised(t.TokenId, t.Logprob):F4})");
            if (token.TopLogprobs[0].TokenId != token.TokenId) changed++;
            generated[token.TokenId] = generated.GetValueOrDefault(token.TokenId) + 1;
            steps++;
        }
        Assert.True(steps >= Tokens / 2, $"only {steps} tokens");
        if (mustChange) Assert.True(changed > 0, "the penalties never changed a choice: the check above proved nothing");
    }

    [Fact]
    public async Task The_same_penalised_request_through_http_and_grpc_gives_the_same_text_and_differs_from_none()
    {
        var grpc = await TextAsync(Request(Repetition, Presence, Frequency));
        var plain = await TextAsync(Request(1, 0, 0));
        var (status, _, body) = await HttpApi.PostAsync(fixture, "/v1/completions", new
        {
            model = OpenAiSiloFixture.Pack, prompt = Prompt, max_tokens = Tokens, temperature = 0,
            repetition_penalty = Repetition, presence_penalty = Presence, frequency_penalty = Frequency,
        });
        Assert.True(status == 200, body.ToString());
        Assert.Equal(grpc, body.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.NotEqual(plain, grpc);
    }

    [Fact]
    public async Task Penalties_with_speculate_or_the_byte_method_are_refused_up_front_saying_why()
    {
        var speculative = Request(1, Presence, 0);
        speculative.Speculate = 2;
        var e = await Assert.ThrowsAsync<RpcException>(() => TextAsync(speculative));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("speculate does not apply repetition, presence or frequency penalties", e.Status.Detail, StringComparison.Ordinal);

        var bytes = Request(Repetition, 0, 0);
        bytes.Method = "byte";
        e = await Assert.ThrowsAsync<RpcException>(() => TextAsync(bytes));
        Assert.Equal(StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("method 'byte' draws bytes, not tokens", e.Status.Detail, StringComparison.Ordinal);
    }

    private static GenerateRequest Request(float repetition, float presence, float frequency) => new()
    {
        Members = new Members { Pack = OpenAiSiloFixture.Pack }, Prompt = Prompt,
        Sampling = new Sampling { Temperature = 0, RepetitionPenalty = repetition, PresencePenalty = presence, FrequencyPenalty = frequency },
        Limits = new Limits { MaxTokens = Tokens },
    };

    private async Task<string> TextAsync(GenerateRequest request)
    {
        await foreach (var e in fixture.Client.GenerateAsync(request))
            if (e.Finished is { } f) return f.Text;
        throw new InvalidOperationException("no Finished event");
    }
}
