using Chorus.Llama.Chat;
using Chorus.Llama.Forge;
using Chorus.Llama.Tests.Gguf;

namespace Chorus.Llama.Tests.Chat;

/// <summary>Chat formatting through llama.cpp's <c>llama_chat_apply_template</c>, and templates the forge writes into a model.</summary>
public sealed class ChatFormatterTests
{
    private static readonly ChatLine[] Conversation = [new("system", "Be brief."), new("user", "Hi"), new("assistant", "Hello."), new("user", "Colour?")];

    [Fact]
    public void ChatMl_formats_every_turn_and_opens_the_assistants()
    {
        Assert.Equal(
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>user\nColour?<|im_end|>\n<|im_start|>assistant\n",
            ChatFormatter.Format(ChatTemplates.ChatMl, Conversation));
    }

    [Fact]
    public void Llama2_puts_the_system_prompt_inside_the_first_instruction()
    {
        Assert.Equal("[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST]Hello.</s>[INST] Colour? [/INST]", ChatFormatter.Format(ChatTemplates.Llama2, Conversation));
    }

    [Fact]
    public void A_model_without_a_template_gets_the_plain_format()
    {
        Assert.Equal("system: Be brief.\nuser: Hi\nassistant: Hello.\nuser: Colour?\nassistant:", ChatFormatter.Format(null, Conversation));
    }

    [Fact]
    public void A_template_llama_cpp_does_not_recognise_is_refused_with_a_reason()
    {
        var e = Assert.Throws<ArgumentException>(() => ChatFormatter.Format("{{ messages | my_own_filter }}", Conversation));
        Assert.Contains("does not recognise the chat template", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_longTextconversation_is_formatted_whole()
    {
        var longText = new string('x', 10_000);
        Assert.EndsWith($"{longText}<|im_end|>\n<|im_start|>assistant\n", ChatFormatter.Format("chatml", [new ChatLine("user", longText)]), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("chatml", ChatTemplates.ChatMl)]
    [InlineData("llama2", ChatTemplates.Llama2)]
    public void The_forge_writes_a_chat_template_the_model_reports(string name, string expected)
    {
        using var folder = new TempDirectory();
        var path = folder.File($"{name}.gguf");
        SyntheticModelForge.Write(new SyntheticModelSpec("llama-spm", Layers: 1, Embedding: 32, Heads: 2, KvHeads: 2, FeedForward: 64, ContextLength: 64) { ChatTemplate = name }, path);
        using var model = LlamaModel.LoadVocabularyOnly(path);
        Assert.Equal(expected, model.ChatTemplate);

        var plain = folder.File("plain.gguf");
        SyntheticModelForge.Write(new SyntheticModelSpec("llama-spm", Layers: 1, Embedding: 32, Heads: 2, KvHeads: 2, FeedForward: 64, ContextLength: 64), plain);
        using var without = LlamaModel.LoadVocabularyOnly(plain);
        Assert.Null(without.ChatTemplate);
    }
}
