using Chorus.Grains;

namespace Chorus.Grains.Tests.Sessions;

/// <summary>The speculative loop's draft length: grows while drafts are kept, shrinks past the kept prefix, pauses (longer each time) while single drafts fail.</summary>
public sealed class DraftLengthTests
{
    [Fact]
    public void Starts_at_the_requested_length_and_never_exceeds_it()
    {
        var length = new DraftLength(6);
        Assert.Equal(6, length.Next);
        length.Observe(drafted: 6, accepted: 6);
        Assert.Equal(6, length.Next);
    }

    [Fact]
    public void Shrinks_to_one_past_the_kept_prefix_and_grows_back_after_full_rounds()
    {
        var length = new DraftLength(8);
        length.Observe(drafted: 8, accepted: 2);
        Assert.Equal(3, length.Next);
        length.Observe(drafted: 3, accepted: 3);
        Assert.Equal(5, length.Next);
        length.Observe(drafted: 5, accepted: 0);
        Assert.Equal(1, length.Next);
    }

    [Fact]
    public void Pauses_while_single_drafts_fail_and_pauses_longer_after_each_failed_probe()
    {
        var length = new DraftLength(4);
        length.Observe(4, 0);
        length.Observe(1, 0);
        Assert.Equal(1, length.Next); // one failed single draft is not yet a pattern
        length.Observe(1, 0);
        var paused = CountPaused(length);
        Assert.Equal(4, paused);
        Assert.Equal(1, length.Next); // the probe
        length.Observe(1, 0);
        Assert.Equal(8, CountPaused(length));
        length.Observe(1, 1); // a kept draft: back to drafting, the pause back to its first length
        Assert.Equal(3, length.Next);
        length.Observe(3, 0);
        length.Observe(1, 0);
        length.Observe(1, 0);
        Assert.Equal(4, CountPaused(length));
    }

    private static int CountPaused(DraftLength length)
    {
        var n = 0;
        while (length.Next == 0 && n < 1000)
        {
            length.Observe(0, 0);
            n++;
        }
        return n;
    }
}
