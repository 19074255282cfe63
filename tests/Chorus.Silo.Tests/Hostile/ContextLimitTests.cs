using Grpc.Core;
using static Chorus.Silo.Tests.Hostile.HostileChecks;

namespace Chorus.Silo.Tests.Hostile;

/// <summary>The context window: filling it ends a generation normally (reason <c>length</c>); a prompt that cannot fit is refused.</summary>
[Collection(HostileSiloCollection.Name)]
public sealed class ContextLimitTests(HostileSiloFixture fixture) : HostileTest(fixture)
{
    private const string Model = HostileSiloFixture.SmallContextModel;

    [Fact]
    public async Task Running_into_the_context_limit_finishes_with_reason_length()
    {
        var context = await ContextSizeAsync();

        var outcome = await GenerateOutcome.ReadAsync(Fixture.Client.Raw, Generate([Model], maxTokens: 4 * context),
            deadline: DateTime.UtcNow.AddSeconds(30));

        Assert.True(outcome.Status == StatusCode.OK, $"{outcome}{Fixture.DeathNote}");
        var finished = outcome.Finished!;
        Assert.Equal("length", finished.Reason);
        Assert.True(finished.Usage.CompletionTokens > 0, "no tokens before the context was full");
        Assert.Equal(finished.Usage.CompletionTokens, outcome.Events.Count(e => e.Token is { TokenId: >= 0 }));
        // the last sampled token need not enter the KV cache, so the window holds prompt + completion or one fewer
        Assert.InRange(finished.Usage.PromptTokens + finished.Usage.CompletionTokens, context - 1, context + 1);
        Assert.Equal(string.Concat(outcome.Events.Where(e => e.Token is not null).Select(e => e.Token.Text)), finished.Text);
        await AssertSlotsFreeAndServingAsync(Fixture);
    }

    [Fact]
    public async Task A_prompt_longer_than_the_context_is_invalid()
    {
        var context = await ContextSizeAsync();
        var prompt = string.Join(' ', Enumerable.Repeat("river valley", context)); // two or more tokens a repeat

        var outcome = await GenerateOutcome.ReadAsync(Fixture.Client.Raw, Generate([Model], maxTokens: 4, prompt: prompt),
            deadline: DateTime.UtcNow.AddSeconds(30));

        Assert.True(outcome.Status == StatusCode.InvalidArgument, $"{outcome}{Fixture.DeathNote}");
        Assert.False(string.IsNullOrWhiteSpace(outcome.Detail), "the error does not say what was wrong");
        await AssertSlotsFreeAndServingAsync(Fixture);
    }

    // the context each sequence really has (llama.cpp may round the configured one up)
    private async Task<int> ContextSizeAsync()
    {
        var context = (await Fixture.Client.ListModelsAsync()).Single(m => m.Id == Model).ContextSize;
        Assert.InRange(context, HostileSiloFixture.SmallContext, 4 * HostileSiloFixture.SmallContext);
        return context;
    }
}
