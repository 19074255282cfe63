using Chorus.Contracts;
using Chorus.Grains;
using Chorus.Silo.Gateway;

namespace Chorus.Silo.Tests.Gateway;

/// <summary>The one decision of what a failed session means: drain ran out, cancelled by its client, or its own deadline.</summary>
public sealed class SessionFailuresTests
{
    private static readonly ChorusException RanOut = new(ChorusErrorKind.Unavailable, "the drain time ran out");

    private static ChorusException Of(Exception error, bool clientGone, bool drainExpired)
    {
        var drain = new SiloDrain();
        if (drainExpired)
        {
            drain.Begin();
            drain.Expire();
        }
        using var client = new CancellationTokenSource();
        if (clientGone) client.Cancel();
        return SessionFailures.Of(error, new GatewayCall("test", "r1", client.Token), drain, () => RanOut);
    }

    [Fact]
    public void A_session_the_drain_cut_short_is_unavailable_unless_its_client_had_left_first()
    {
        Assert.Same(RanOut, Of(new OperationCanceledException(), clientGone: false, drainExpired: true));
        Assert.Same(RanOut, Of(new ChorusException(ChorusErrorKind.Cancelled, "ended"), clientGone: false, drainExpired: true));
        Assert.Equal(ChorusErrorKind.Cancelled, Of(new OperationCanceledException(), clientGone: true, drainExpired: true).Kind);
    }

    [Fact]
    public void Cancelled_when_the_client_left_and_deadline_exceeded_when_it_did_not()
    {
        Assert.Equal(ChorusErrorKind.Cancelled, Of(new OperationCanceledException(), clientGone: true, drainExpired: false).Kind);
        Assert.Equal(ChorusErrorKind.Cancelled, Of(new InvalidOperationException("echo"), clientGone: true, drainExpired: false).Kind);
        Assert.Equal(ChorusErrorKind.DeadlineExceeded, Of(new OperationCanceledException(), clientGone: false, drainExpired: false).Kind);
        Assert.Equal(ChorusErrorKind.DeadlineExceeded, Of(new TimeoutException(), clientGone: false, drainExpired: false).Kind);
    }

    [Fact]
    public void A_real_error_keeps_its_kind_message_and_field_and_a_fault_keeps_its_cause()
    {
        var invalid = new ChorusException(ChorusErrorKind.InvalidArgument, "top_p must be in [0, 1]") { Field = "top_p" };
        Assert.Same(invalid, Of(invalid, clientGone: false, drainExpired: true)); // not the drain's doing
        var fault = new InvalidOperationException("a fault");
        var failure = Of(fault, clientGone: false, drainExpired: false);
        Assert.Equal(ChorusErrorKind.Internal, failure.Kind);
        Assert.Same(fault, failure.InnerException);
        Assert.Contains("a fault", failure.Message, StringComparison.Ordinal);
    }
}
