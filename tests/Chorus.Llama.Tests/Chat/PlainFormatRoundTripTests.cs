using Chorus.Llama.Chat;

namespace Chorus.Llama.Tests.Chat;

/// <summary>
/// A reply sent back as it was generated renders, in the plain format, as exactly the text the model produced: the next
/// turn's tokens start with the last prompt's tokens and the reply's, so the prefix cache reuses both.
/// </summary>
[Collection(SyntheticModelCollection.Name)]
public sealed class PlainFormatRoundTripTests(SyntheticModelFixture models)
{
    [Theory]
    [InlineData(" Hello there, my friend.")] // generated after "assistant:" as a real model does: space-prefixed tokens
    [InlineData(" 42")]
    public void The_next_turn_starts_with_the_tokens_of_the_last_prompt_and_of_the_reply(string replyText)
    {
        var vocabulary = models.Spm.Vocabulary;
        List<ChatLine> conversation = [new("system", "Be brief."), new("user", "Hi, who are you?")];
        var prompt = vocabulary.Tokenize(ChatFormatter.Format(null, conversation), addSpecial: true);
        // the reply as the model's tokens after the prompt, and as a streaming client receives it: piece by piece
        var generated = vocabulary.Tokenize("assistant:" + replyText)[vocabulary.Tokenize("assistant:").Length..];
        Assert.StartsWith(" ", vocabulary.TokenToString(generated[0]));
        var reply = string.Concat(generated.Select(t => vocabulary.TokenToString(t)));

        conversation.AddRange([new("assistant", reply), new("user", "And then?")]);
        var next = vocabulary.Tokenize(ChatFormatter.Format(null, conversation), addSpecial: true);

        Assert.Equal([.. prompt, .. generated], next[..(prompt.Length + generated.Length)]);
    }

    [Fact]
    public void Content_without_a_leading_space_still_gets_one_after_the_colon()
    {
        Assert.Equal("user: Hi\nassistant: Hello.\nassistant:", ChatFormatter.Format(null, [new("user", "Hi"), new("assistant", "Hello.")]));
        Assert.Equal("user: Hi\nassistant: Hello.\nassistant:", ChatFormatter.Format(null, [new("user", " Hi"), new("assistant", " Hello.")]));
    }
}
