namespace Chorus.Llama.Chat;

/// <summary>
/// Jinja chat templates as real models carry them in <c>tokenizer.chat_template</c>, for the forge to write into
/// synthetic models; llama.cpp recognises each by its markers.
/// </summary>
public static class ChatTemplates
{
    /// <summary>ChatML (<c>&lt;|im_start|&gt;role\n…&lt;|im_end|&gt;</c>), as Qwen and many fine-tunes use.</summary>
    public const string ChatMl =
        "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /// <summary>Llama 2 chat (<c>[INST] &lt;&lt;SYS&gt;&gt;…&lt;&lt;/SYS&gt;&gt; … [/INST]</c>).</summary>
    public const string Llama2 =
        "{% if messages[0]['role'] == 'system' %}{% set system_message = '<<SYS>>\\n' + messages[0]['content'] + '\\n<</SYS>>\\n\\n' %}{% set messages = messages[1:] %}{% else %}{% set system_message = '' %}{% endif %}" +
        "{% for message in messages %}{% if loop.index0 == 0 %}{% set content = system_message + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}" +
        "{% if message['role'] == 'user' %}{{ '[INST] ' + content + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ content + '</s>' }}{% endif %}{% endfor %}";

    /// <summary>The Jinja text for a known name (chatml, llama2), else <paramref name="nameOrTemplate"/> itself (a Jinja template).</summary>
    public static string Resolve(string nameOrTemplate)
    {
        ArgumentNullException.ThrowIfNull(nameOrTemplate);
        return nameOrTemplate.Trim().ToLowerInvariant() switch
        {
            "chatml" => ChatMl,
            "llama2" => Llama2,
            _ => nameOrTemplate,
        };
    }
}
