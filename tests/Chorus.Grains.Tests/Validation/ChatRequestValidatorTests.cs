using Chorus.Contracts;

namespace Chorus.Grains.Tests.Validation;

/// <summary>The checks of a chat request (messages instead of a prompt) and of the log-probabilities it may ask for.</summary>
public sealed class ChatRequestValidatorTests
{
    private static readonly SessionOptions Limits = new() { MaxTextBytes = 16 };

    private static GenerationRequest Chat(string prompt = "", int topLogProbs = -1, params ChatTurn[] messages) =>
        new(new MemberSelection(null, ["a"]), null, [], prompt, new SamplingSpec()) { Messages = messages, TopLogProbs = topLogProbs };

    private static void Invalid(GenerationRequest request, params string[] expected)
    {
        var e = Assert.Throws<ChorusException>(() => RequestValidator.Check(request, Limits));
        Assert.Equal(ChorusErrorKind.InvalidArgument, e.Kind);
        foreach (var part in expected) Assert.Contains(part, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Messages_stand_in_for_the_prompt()
    {
        RequestValidator.Check(Chat(messages: [new("system", "Be brief."), new("user", "Hi")]), Limits);
        RequestValidator.Check(Chat(messages: [new("user", "")]), Limits); // an empty turn is a turn
        Invalid(Chat(prompt: "x", messages: [new("user", "Hi")]), "prompt or messages, not both");
        Invalid(Chat(messages: []), "messages is empty");
    }

    [Fact]
    public void Only_the_roles_every_template_knows_are_accepted()
    {
        Invalid(Chat(messages: [new("user", "Hi"), new("tool", "42")]), "messages[1].role", "'tool'", "system, user, assistant");
    }

    [Fact]
    public void The_whole_conversation_is_limited_like_a_prompt()
    {
        RequestValidator.Check(Chat(messages: [new("user", new string('x', 8)), new("assistant", new string('y', 8))]), Limits);
        Invalid(Chat(messages: [new("user", new string('x', 8)), new("assistant", new string('y', 9))]), "17 bytes", "MaxTextBytes");
        Invalid(Chat(messages: [new("user", "a\uD800b")]), "messages[0].content", "lone surrogate");
    }

    [Fact]
    public void Top_logprobs_are_bounded()
    {
        RequestValidator.Check(Chat(topLogProbs: 20, messages: [new("user", "Hi")]), Limits);
        RequestValidator.Check(Chat(topLogProbs: 0, messages: [new("user", "Hi")]), Limits);
        Invalid(Chat(topLogProbs: 21, messages: [new("user", "Hi")]), "top_logprobs", "[0, 20]");
    }
}
