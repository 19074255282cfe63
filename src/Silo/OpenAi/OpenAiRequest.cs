using Chorus.Contracts;

namespace Chorus.Silo.OpenAi;

/// <summary>
/// A bound OpenAI completion or chat completion request: the fused generation it asks for and how to answer
/// (<see cref="Stream"/>ed as server-sent events or as one JSON body).
/// </summary>
internal sealed record OpenAiRequest(string Model, GenerationRequest Generation, bool Stream, bool IncludeUsage)
{
    /// <summary>Log-probabilities were asked for (completions: <c>logprobs</c> ≥ 0; chat: <c>logprobs: true</c>).</summary>
    public bool LogProbs => Generation.TopLogProbs >= 0;
}
