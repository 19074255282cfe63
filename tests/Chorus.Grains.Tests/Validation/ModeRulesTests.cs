using Chorus.Contracts;

namespace Chorus.Grains.Tests.Validation;

/// <summary>
/// Which modes combine, as the gateway checks them before a session starts (<see cref="RequestValidator.Check(GenerationRequest, ChorusOptions)"/>):
/// the method is resolved as the session resolves it — from the request, else from the pack — so a pack whose method is
/// byte is held to byte's rules too.
/// </summary>
public sealed class ModeRulesTests
{
    private static readonly ChorusOptions Options = new()
    {
        Packs = [new PackOptions { Name = "bytes", Method = "byte", Members = [new PackMemberOptions { Model = "a" }, new PackMemberOptions { Model = "b" }] }],
    };

    private static GenerationRequest Request(string? method = null, string? pack = null, int speculate = 0, string? drafter = null, int topLogProbs = -1,
        float repetition = 1) =>
        new(new MemberSelection(pack, pack is null ? ["a", "b"] : []), method, [], "Once upon a time", new SamplingSpec { RepetitionPenalty = repetition })
        {
            Speculate = speculate, Drafter = drafter, TopLogProbs = topLogProbs,
        };

    private static void Refused(GenerationRequest request, string field, params string[] expected)
    {
        var e = Assert.Throws<ChorusException>(() => RequestValidator.Check(request, Options));
        Assert.Equal(ChorusErrorKind.InvalidArgument, e.Kind);
        Assert.Equal(field, e.Field);
        foreach (var part in expected) Assert.Contains(part, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Token_methods_take_speculation_logprobs_and_penalties_each()
    {
        RequestValidator.Check(Request("uniform", speculate: 4, drafter: "a"), Options);
        RequestValidator.Check(Request("uniform", topLogProbs: 3), Options);
        RequestValidator.Check(Request("uniform", repetition: 1.2f), Options);
        RequestValidator.Check(Request("byte"), Options);
    }

    [Fact]
    public void Speculate_is_bounded_and_a_drafter_needs_it()
    {
        RequestValidator.Check(Request("uniform", speculate: 32), Options);
        Refused(Request("uniform", speculate: 33), "speculate", "between 0 (off) and 32");
        Refused(Request("uniform", speculate: -1), "speculate", "got -1");
        Refused(Request("uniform", drafter: "a"), "drafter", "only drafts with speculate > 0");
        Refused(Request("uniform", speculate: 2, repetition: 1.2f), "speculate", "speculate does not apply repetition, presence or frequency penalties");
    }

    [Fact]
    public void The_byte_method_refuses_what_counts_tokens_whether_the_request_or_its_pack_names_it()
    {
        Refused(Request("byte", speculate: 2), "speculate", "method 'byte' draws bytes", "set speculate to 0");
        Refused(Request(pack: "bytes", speculate: 2), "speculate", "method 'byte' draws bytes");
        Refused(Request("byte", topLogProbs: 0), "logprobs", "no token log-probabilities");
        Refused(Request(pack: "bytes", repetition: 1.2f), "penalties", "method 'byte' draws bytes, not tokens");
        // the request's method wins over the pack's, as in the session
        RequestValidator.Check(Request("uniform", pack: "bytes", speculate: 2), Options);
    }
}
