using Chorus.Llama.Forge;

namespace Chorus.Silo.Tests.Support;

/// <summary>Small synthetic models (seeded, so the same bytes every run), forged once per test output folder.</summary>
internal static class TestModels
{
    public static string Directory { get; } = Path.Combine(AppContext.BaseDirectory, "test-models");

    public static string Spm(ulong seed) => Ensure($"spm-{seed}.gguf",
        new SyntheticModelSpec("llama-spm", Layers: 2, Embedding: 64, Heads: 4, KvHeads: 2, FeedForward: 192, ContextLength: 1024, Seed: seed));

    public static string Gpt2(ulong seed) => Ensure($"gpt2-{seed}.gguf",
        new SyntheticModelSpec("gpt-2", Layers: 2, Embedding: 64, Heads: 4, KvHeads: 4, FeedForward: 192, ContextLength: 1024, Seed: seed));

    /// <summary>A model whose <c>tokenizer.chat_template</c> is <paramref name="template"/> (chatml, llama2), with a 2048-token context.</summary>
    public static string Chat(string vocabulary, string template, ulong seed) => Ensure($"chat-{template}-{vocabulary}-{seed}.gguf",
        new SyntheticModelSpec(vocabulary, Layers: 2, Embedding: 64, Heads: 4, KvHeads: 2, FeedForward: 192, ContextLength: 2048, Seed: seed) { ChatTemplate = template });

    /// <summary>A model with its vocabulary file's own chat template (phi-3's and qwen2's carry one), with a 2048-token context.</summary>
    public static string ChatOfVocabulary(string vocabulary, ulong seed) => Ensure($"chat-own-{vocabulary}-{seed}.gguf",
        new SyntheticModelSpec(vocabulary, Layers: 2, Embedding: 64, Heads: 4, KvHeads: 2, FeedForward: 192, ContextLength: 2048, Seed: seed));

    private static readonly Lock Gate = new();

    private static string Ensure(string fileName, SyntheticModelSpec spec)
    {
        lock (Gate)
        {
            System.IO.Directory.CreateDirectory(Directory);
            var path = Path.Combine(Directory, fileName);
            var stamp = path + ".spec";
            var key = spec.ToString();
            if (!File.Exists(path) || !File.Exists(stamp) || File.ReadAllText(stamp) != key)
            {
                SyntheticModelForge.Write(spec, path + ".partial");
                File.Move(path + ".partial", path, overwrite: true);
                File.WriteAllText(stamp, key);
            }
            return path;
        }
    }
}
