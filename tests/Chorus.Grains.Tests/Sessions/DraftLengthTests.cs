using Chorus.Grains;

namespace Chorus.Grains.Tests.Sessions;

/// <summary>The speculative loop's draft length: starts short and grows while drafts are kept, shrinks past the kept prefix, pauses (longer each time) while few drafts are kept, and judges a pause by the drafter's free guesses where it has them.</summary>
public sealed class DraftLengthTests
{
    [Fact]
    public void Starts_short_doubles_while_every_draft_is_kept_and_never_exceeds_the_requested_length()
    {
        var length = new DraftLength(16);
        Assert.Equal(DraftLength.FirstDraft, length.Next);
        length.Observe(drafted: 4, accepted: 4);
        Assert.Equal(8, length.Next);
        length.Observe(drafted: 8, accepted: 8);
        Assert.Equal(16, length.Next);
        length.Observe(drafted: 16, accepted: 16);
        Assert.Equal(16, length.Next);
        Assert.Equal(2, new DraftLength(2).Next);
    }

    [Fact]
    public void Shrinks_to_one_past_the_kept_prefix_and_grows_back_after_full_rounds()
    {
        var length = new DraftLength(8);
        length.Observe(drafted: 8, accepted: 6);
        Assert.Equal(7, length.Next);
        length.Observe(drafted: 7, accepted: 7);
        Assert.Equal(8, length.Next);
        length.Observe(drafted: 8, accepted: 4);
        Assert.Equal(5, length.Next);
    }

    [Fact]
    public void Predicts_the_length_after_a_round_that_keeps_every_draft_whatever_came_before()
    {
        // the pipeline drafts the next round ahead with this prediction: it must be what Next says after that round
        var random = new Random(7);
        var length = new DraftLength(8);
        for (var round = 0; round < 500; round++)
        {
            var drafted = length.Next;
            if (drafted == 0)
            {
                length.Observe(0, 0);
                continue;
            }
            var predicted = length.IfAllKept(drafted);
            var keepAll = random.Next(3) == 0;
            length.Observe(drafted, keepAll ? drafted : random.Next(drafted));
            if (keepAll) Assert.Equal(predicted, length.Next);
        }
    }

    [Fact]
    public void Pauses_while_few_drafts_are_kept_longer_after_each_poor_probe_and_resumes_after_a_good_one()
    {
        var length = new DraftLength(4);
        length.Observe(4, 0); // rate 0.7
        Assert.Equal(1, length.Next);
        length.Observe(1, 0); // 0.49: below one half
        Assert.Equal(4, CountPaused(length));
        length.Observe(1, 0); // the probe fails
        Assert.Equal(8, CountPaused(length));
        length.Observe(1, 1); // the probe is kept: drafting resumes and grows
        Assert.Equal(3, length.Next);
        Assert.True(length.AcceptanceRate >= 0.5);
        length.Observe(3, 0);
        Assert.Equal(4, CountPaused(length)); // the pause started over
    }

    [Fact]
    public void Timed_it_starts_with_a_plain_step_and_pauses_rounds_that_cost_more_per_token_than_plain_steps()
    {
        var length = new DraftLength(4, timed: true);
        Assert.Equal(0, length.Next); // the baseline: one plain step
        length.Observe(0, 0, milliseconds: 10, settled: 1);
        Assert.Equal(4, length.Next);
        // every draft kept, but 5 tokens took 60 ms: 12 ms a token against 10 plain
        length.Observe(4, 4, milliseconds: 60, settled: 5);
        Assert.Equal("cost", length.PauseReason);
        Assert.True(length.AcceptanceRate > 0.9); // the drafts were good: only their price paused drafting
        Assert.Equal(4, CountPaused(length, plainMilliseconds: 10));
        // the probe is cheap now (5 tokens in 20 ms): drafting goes on
        length.Observe(4, 4, milliseconds: 20, settled: 5);
        Assert.Equal(4, length.Next);
    }

    [Fact]
    public void Timed_rounds_that_pay_keep_drafting_and_untimed_ones_never_read_the_clock()
    {
        var timed = new DraftLength(2, timed: true);
        timed.Observe(0, 0, milliseconds: 10, settled: 1);
        for (var round = 0; round < 20; round++)
        {
            Assert.Equal(2, timed.Next);
            timed.Observe(2, 2, milliseconds: 15, settled: 3); // 5 ms a token
        }
        Assert.Null(timed.PauseReason);

        var untimed = new DraftLength(2);
        Assert.Equal(2, untimed.Next); // no baseline step
        untimed.Observe(2, 2, milliseconds: 1000, settled: 3);
        Assert.Equal(2, untimed.Next);
        untimed.Observe(2, 0);
        untimed.Observe(1, 0);
        Assert.Equal("acceptance", untimed.PauseReason);
    }

    [Fact]
    public void A_pause_whose_free_guesses_were_mostly_wrong_is_followed_by_another_instead_of_a_paid_probe()
    {
        var length = new DraftLength(4);
        length.Observe(4, 0);
        length.Observe(1, 0); // paused for acceptance: 4 plain rounds
        for (var window = 0; window < 10; window++)
            for (var round = 0; round < 4; round++)
            {
                Assert.Equal(0, length.Next); // never a probe while the guesses say it would lose
                length.Observe(0, 0, guessKept: round == 0); // 1 of 4 right
            }
        Assert.Equal("acceptance", length.PauseReason);
        for (var round = 0; round < 4; round++) length.Observe(0, 0, guessKept: round != 0); // 3 of 4 right
        Assert.Equal(1, length.Next); // the guesses say a probe may pay: it probes
    }

    [Fact]
    public void Without_free_guesses_a_pause_ends_in_a_probe_as_before()
    {
        var length = new DraftLength(4);
        length.Observe(4, 0);
        length.Observe(1, 0);
        for (var round = 0; round < 4; round++) length.Observe(0, 0, guessKept: null);
        Assert.Equal(1, length.Next);
    }

    [Fact]
    public void Timed_a_baseline_step_whose_guess_was_wrong_starts_a_pause_and_a_right_one_drafts()
    {
        var wrong = new DraftLength(8, timed: true);
        wrong.Observe(0, 0, milliseconds: 10, settled: 1, guessKept: false);
        Assert.Equal(0, wrong.Next);
        Assert.Equal("acceptance", wrong.PauseReason);
        Assert.Equal(4, CountPaused(wrong, plainMilliseconds: 10, guessKept: true));
        Assert.Equal(DraftLength.FirstDraft, wrong.Next); // right guesses all through the pause: it drafts

        var right = new DraftLength(8, timed: true);
        right.Observe(0, 0, milliseconds: 10, settled: 1, guessKept: true);
        Assert.Equal(DraftLength.FirstDraft, right.Next);
        Assert.Null(right.PauseReason);
    }

    [Fact]
    public void A_pause_for_cost_ends_in_a_probe_whatever_the_guesses_say()
    {
        // the drafts were kept but their rounds cost too much: only a probe's price can tell whether that changed
        var length = new DraftLength(4, timed: true);
        length.Observe(0, 0, milliseconds: 10, settled: 1, guessKept: true);
        length.Observe(4, 4, milliseconds: 60, settled: 5);
        Assert.Equal("cost", length.PauseReason);
        Assert.Equal(4, CountPaused(length, plainMilliseconds: 10, guessKept: false));
        Assert.True(length.Next > 0);
    }

    private static int CountPaused(DraftLength length, double plainMilliseconds = double.NaN, bool? guessKept = null)
    {
        var n = 0;
        while (length.Next == 0 && n < 1000)
        {
            length.Observe(0, 0, plainMilliseconds, settled: 1, guessKept);
            n++;
        }
        return n;
    }
}
