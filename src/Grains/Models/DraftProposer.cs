using Chorus.Contracts;
using Chorus.Fusion;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>
/// Picks a drafting model's proposals inside its grain: the arg-max, or a draw with the session's uniform numbers from
/// what the session's sampler would draw from (the session recomputes the same proposal law from the rows to accept).
/// </summary>
internal sealed class DraftProposer
{
    private readonly EditDraft _request;
    private readonly LlamaVocabulary _vocabulary;
    private readonly Sampler? _sampler;
    private readonly float[] _logProbs;
    private readonly double[] _probabilities;
    private readonly List<int> _tokens;

    public DraftProposer(EditDraft request, LlamaVocabulary vocabulary)
    {
        _request = request;
        _vocabulary = vocabulary;
        _tokens = new List<int>(request.Count);
        if (request.Sampling is { } s)
        {
            _sampler = new Sampler(new SamplerOptions { Temperature = s.Temperature, TopK = s.TopK, TopP = s.TopP, MinP = s.MinP });
            if (_sampler.IsGreedy) _sampler = null;
        }
        if (_sampler is not null && (request.Uniforms?.Length ?? 0) < request.Count)
            throw new ChorusException(ChorusErrorKind.InvalidArgument, $"sampled drafts need {request.Count} uniform numbers, got {request.Uniforms?.Length ?? 0}")
            {
                Field = "Draft.Uniforms",
            };
        _logProbs = _sampler is null ? [] : new float[vocabulary.Count];
        _probabilities = _sampler is null ? [] : new double[vocabulary.Count];
    }

    /// <summary>The tokens proposed so far.</summary>
    public int[] Tokens => [.. _tokens];

    /// <summary>Proposes draft <paramref name="i"/> from the distribution after the tokens before it.</summary>
    public int Propose(TokenDistribution next, int i)
    {
        int token;
        if (_sampler is null) token = next.ArgMax();
        else
        {
            SpeculativeAcceptance.ProposalLogProbs(next, _logProbs);
            _sampler.Probabilities(_logProbs, _probabilities);
            token = SpeculativeAcceptance.Draw(_probabilities, _request.Uniforms![i]);
        }
        _tokens.Add(token);
        return token;
    }

    /// <summary>True when the token ends the generation (nothing after it is worth drafting).</summary>
    public bool Ended(int token) => _vocabulary.IsEndOfGeneration(token);
}
