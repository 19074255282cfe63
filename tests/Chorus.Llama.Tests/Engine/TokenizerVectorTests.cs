using System.Text;
using Chorus.Llama;

namespace Chorus.Llama.Tests.Engine;

/// <summary>llama.cpp's own tokenizer test cases (models/ggml-vocab-*.gguf.inp/.out), through our binding.</summary>
public sealed class TokenizerVectorTests
{
    private const string Separator = "\n__ggml_vocab_test__\n";

    public static TheoryData<string> VocabulariesWithVectors()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(VocabularyFiles.Directory, "ggml-vocab-*.gguf.inp").Order())
            data.Add(Path.GetFileName(file)[..^".gguf.inp".Length]);
        return data;
    }

    [Fact]
    public void The_fetched_cache_has_the_builtin_vocabularies_and_their_vectors()
    {
        foreach (var name in VocabularyFiles.BuiltInNames)
            Assert.True(File.Exists(VocabularyFiles.Resolve(name)), name);
        Assert.True(VocabulariesWithVectors().Count >= 15);
    }

    [Theory]
    [MemberData(nameof(VocabulariesWithVectors))]
    public void Every_test_input_tokenizes_to_the_expected_ids(string vocabFile)
    {
        var baseName = Path.Combine(VocabularyFiles.Directory, vocabFile + ".gguf");
        var inputs = SplitInputs(File.ReadAllText(baseName + ".inp", Encoding.UTF8));
        var outputs = File.ReadAllLines(baseName + ".out");
        Assert.Equal(inputs.Count, outputs.Length);

        using var model = LlamaModel.LoadVocabularyOnly(baseName);
        var failures = new List<string>();
        for (var i = 0; i < inputs.Count; i++)
        {
            var expected = outputs[i].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
            var actual = model.Vocabulary.TokenizeUtf8(Encoding.UTF8.GetBytes(inputs[i]), addSpecial: false, parseSpecial: false);
            if (!expected.SequenceEqual(actual))
                failures.Add($"#{i} {Escape(inputs[i])}: expected [{string.Join(' ', expected)}] got [{string.Join(' ', actual)}]");
        }
        Assert.True(failures.Count == 0, $"{failures.Count}/{inputs.Count} cases differ:\n{string.Join('\n', failures.Take(10))}");
    }

    // The .inp file is read as raw UTF-8 text, split exactly as llama.cpp's test-tokenizer-0 does.
    private static List<string> SplitInputs(string raw)
    {
        var result = new List<string>();
        var pos = 0;
        while (pos < raw.Length)
        {
            var next = raw.IndexOf(Separator, pos, StringComparison.Ordinal);
            if (next < 0) { result.Add(raw[pos..]); break; }
            result.Add(raw[pos..next]);
            pos = next + Separator.Length;
        }
        return result;
    }

    private static string Escape(string s) => s.Length > 40 ? s[..40].ReplaceLineEndings("\\n") + "…" : s.ReplaceLineEndings("\\n");
}
