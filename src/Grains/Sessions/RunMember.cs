using Chorus.Contracts;
using Chorus.Fusion;
using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>One member inside a running session: its grain, facts, role, local vocabulary and latest distribution.</summary>
internal sealed class RunMember(MemberPlan plan, IModelGrain grain, ModelFacts facts, LlamaVocabulary vocabulary)
{
    public MemberPlan Plan { get; } = plan;
    public IModelGrain Grain { get; } = grain;
    public ModelFacts Facts { get; } = facts;
    public LlamaVocabulary Vocabulary { get; } = vocabulary;
    public string Name => Plan.Model;

    /// <summary>The text this member is prefilled with: the prompt, or the conversation in its own chat template.</summary>
    public string Prompt { get; init; } = "";

    /// <summary>True when <see cref="Prompt"/> is a conversation in the member's chat template (its markers are special tokens).</summary>
    public bool IsChat { get; init; }

    /// <summary>True when the member shares the fused tokens' vocabulary (<see cref="FusedRun.Main"/>'s): it appends the fused token by id; else it syncs the text.</summary>
    public bool SharesMainVocabulary { get; set; }

    /// <summary>False once the method fixed this member's weight at 0: it is closed and no longer stepped.</summary>
    public bool Active { get; set; } = true;

    /// <summary>The member's sequence once the session was admitted to its model's slots (null again once closed).</summary>
    public MemberSequence? Sequence { get; set; }

    /// <summary>The handle of <see cref="Sequence"/>.</summary>
    public SequenceHandle? Handle => Sequence?.Handle;
    public PromptEvidenceData? Evidence { get; set; }
    public TokenDistribution? Current { get; set; }
    public int[] LastTokens { get; set; } = [];
}
