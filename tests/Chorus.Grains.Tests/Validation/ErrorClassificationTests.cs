using System.Text;
using Chorus.Contracts;

namespace Chorus.Grains.Tests.Validation;

/// <summary>Any exception that reaches a front end gets one kind and a message, whatever the front end.</summary>
public sealed class ErrorClassificationTests
{
    [Fact]
    public void A_chorus_error_keeps_its_kind_and_message()
    {
        var (kind, message) = ErrorClassification.Classify(new ChorusException(ChorusErrorKind.ResourceExhausted, "queue full; raise QueueDepth"), callCancelled: false);
        Assert.Equal(ChorusErrorKind.ResourceExhausted, kind);
        Assert.Equal("queue full; raise QueueDepth", message);
    }

    [Fact]
    public void Cancellation_is_the_callers_when_the_call_was_cancelled_and_a_deadline_otherwise()
    {
        Assert.Equal(ChorusErrorKind.Cancelled, ErrorClassification.Classify(new OperationCanceledException(), callCancelled: true).Kind);
        Assert.Equal(ChorusErrorKind.DeadlineExceeded, ErrorClassification.Classify(new OperationCanceledException(), callCancelled: false).Kind);
        Assert.Equal(ChorusErrorKind.DeadlineExceeded, ErrorClassification.Classify(new TimeoutException("slow"), callCancelled: false).Kind);
    }

    [Fact]
    public void A_failure_after_the_call_ended_is_the_cancellations_echo_not_a_server_fault()
    {
        var (kind, message) = ErrorClassification.Classify(new InvalidOperationException("Writing is not allowed after writer was completed."), callCancelled: true);
        Assert.Equal(ChorusErrorKind.Cancelled, kind);
        Assert.Contains("InvalidOperationException", message);
    }

    [Fact]
    public void Client_mistakes_are_invalid_arguments_and_the_rest_internal()
    {
        Assert.Equal(ChorusErrorKind.InvalidArgument, ErrorClassification.Classify(new ArgumentException("bad"), callCancelled: false).Kind);
        Assert.Equal(ChorusErrorKind.InvalidArgument, ErrorClassification.Classify(new DecoderFallbackException("bytes"), callCancelled: false).Kind);
        var (kind, message) = ErrorClassification.Classify(new NullReferenceException("oops"), callCancelled: false);
        Assert.Equal(ChorusErrorKind.Internal, kind);
        Assert.Contains("NullReferenceException", message);
    }

    [Fact]
    public void A_wrapped_error_is_classified_by_what_it_wraps()
    {
        var wrapped = new InvalidOperationException("outer", new ChorusException(ChorusErrorKind.NotFound, "unknown model 'x'"));
        Assert.Equal((ChorusErrorKind.NotFound, "unknown model 'x'"), ErrorClassification.Classify(wrapped, callCancelled: false));
    }
}
