using Chorus.Llama;

namespace Chorus.Grains;

/// <summary>A session's sequence on a model grain, with when it was last used (for the idle sweep).</summary>
internal sealed class SessionSequence(TextSequence text)
{
    public TextSequence Text { get; } = text;
    public RunnerSequence Sequence => Text.Sequence;
    public DateTime LastUsed { get; set; } = DateTime.UtcNow;
    public bool Busy { get; set; }
}
