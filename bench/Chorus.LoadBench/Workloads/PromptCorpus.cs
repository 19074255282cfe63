namespace Chorus.Bench.Load.Workloads;

/// <summary>
/// Prompts cut from one of the repo's corpora (data/corpora, the public text the zoo was trained on): a run of words
/// from a random place in the running text, so that no two requests share more than a chance prefix.
/// </summary>
internal sealed class PromptCorpus
{
    /// <summary>
    /// Tokens per word of data/corpora/wiki in the llama-spm vocabulary of the bench models, which sizes a long prompt in
    /// words: a 1,071-word window came to 1,476 prompt tokens (the servers' usage; 1.38).
    /// </summary>
    public const double TokensPerWord = 1.4;

    private readonly string[] _words;

    private PromptCorpus(string[] words) => _words = words;

    public string Path { get; private init; } = "";

    public int WordCount => _words.Length;

    /// <summary>Loads the file given, or data/corpora/wiki/test.txt found upward from the working folder.</summary>
    public static PromptCorpus Load(string? path)
    {
        path ??= FindDefault() ?? throw new FileNotFoundException("no corpus: run from the repository (data/corpora/wiki/test.txt) or give --corpus FILE");
        // headings (" = Title = ") and blank lines are not prose; everything else is one stream of words
        var words = File.ReadLines(path)
            .Where(line => !line.TrimStart().StartsWith('='))
            .SelectMany(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .ToArray();
        if (words.Length < 10_000) throw new InvalidDataException($"corpus {path} has only {words.Length} words; a load run needs at least 10,000");
        return new PromptCorpus(words) { Path = path };
    }

    /// <summary><paramref name="count"/> consecutive words from a random place.</summary>
    public string Words(Random random, int count)
    {
        count = Math.Min(count, _words.Length);
        var start = random.Next(_words.Length - count + 1);
        return string.Join(' ', _words, start, count);
    }

    /// <summary>Between <paramref name="min"/> and <paramref name="max"/> words (both included).</summary>
    public string Words(Random random, int min, int max) => Words(random, random.Next(min, max + 1));

    private static string? FindDefault()
    {
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "data", "corpora", "wiki", "test.txt");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
