namespace Chorus.Fusion;

/// <summary>
/// What a member is for. Ensembles (uniform, packllm-*, unite, deepen, ...) use every member and only care which
/// one is <see cref="Main"/>; the weak-to-strong methods (proxy-tuning, dlf) read the other roles.
/// </summary>
public enum MemberRole
{
    /// <summary>The member whose vocabulary the fused token is chosen in; in proxy-tuning/dlf the large base model M.</summary>
    Main,

    /// <summary>proxy-tuning/dlf: the small untuned model m that the experts were fine-tuned from.</summary>
    Base,

    /// <summary>proxy-tuning/dlf: a small tuned model m_i; in ensembles, any member other than main.</summary>
    Expert,

    /// <summary>DExperts: a model whose shift is subtracted (paired one-to-one with the experts).</summary>
    AntiExpert,
}
