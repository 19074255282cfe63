using System.Collections.Concurrent;
using Chorus.Contracts;
using Chorus.Fusion;
using Chorus.Llama;
using Microsoft.Extensions.Options;

namespace Chorus.Grains;

/// <summary>
/// Per-silo caches a session needs about remote members: their tokenizers (loaded vocabulary-only, so this silo
/// tokenizes exactly as the member does), token-embedding matrices (DeePEn) and MinED maps — each fetched once.
/// </summary>
public sealed class VocabularyCatalog : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<Task<LlamaModel>>> _tokenizers = new();
    private readonly ConcurrentDictionary<string, Lazy<Task<TokenEmbeddings>>> _embeddings = new();
    private readonly string _directory;

    public VocabularyCatalog(IOptions<ChorusOptions> options)
    {
        _directory = options.Value.CacheDirectory ?? Path.Combine(Path.GetTempPath(), "chorus-cache");
        Directory.CreateDirectory(Path.Combine(_directory, "tokenizers"));
        Maps = new VocabularyMapCache(Path.Combine(_directory, "maps"));
    }

    /// <summary>MinED maps, cached on disk by the two vocabularies' hashes.</summary>
    public VocabularyMapCache Maps { get; }

    /// <summary>The member's vocabulary, loaded here.</summary>
    public async Task<LlamaVocabulary> Vocabulary(IModelGrain grain, ModelFacts facts)
    {
        var lazy = _tokenizers.GetOrAdd(facts.VocabularyHash, _ => new Lazy<Task<LlamaModel>>(() => LoadAsync(grain, facts)));
        try
        {
            return (await lazy.Value).Vocabulary;
        }
        catch
        {
            _tokenizers.TryRemove(facts.VocabularyHash, out _);
            throw;
        }
    }

    /// <summary>The member's token-embedding matrix.</summary>
    public Task<TokenEmbeddings> Embeddings(IModelGrain grain, ModelFacts facts) =>
        _embeddings.GetOrAdd($"{facts.Id}|{facts.VocabularyHash}|{facts.Parameters}", _ => new Lazy<Task<TokenEmbeddings>>(async () =>
        {
            var e = await grain.ExportEmbeddings();
            return new TokenEmbeddings(e.Data, e.Dimension);
        })).Value;

    private async Task<LlamaModel> LoadAsync(IModelGrain grain, ModelFacts facts)
    {
        // same machine: read the tokenizer straight from the model file; else ask the member for it
        if (File.Exists(facts.Path))
        {
            var local = await Task.Run(() => LlamaModel.LoadVocabularyOnly(facts.Path));
            if (local.Vocabulary.ContentHash == facts.VocabularyHash) return local;
            local.Dispose();
        }
        var export = await grain.ExportTokenizer();
        var path = Path.Combine(_directory, "tokenizers", $"{export.VocabularyHash}.gguf");
        await File.WriteAllBytesAsync(path, export.Gguf);
        return await Task.Run(() => LlamaModel.LoadVocabularyOnly(path));
    }

    public void Dispose()
    {
        foreach (var lazy in _tokenizers.Values)
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully) lazy.Value.Result.Dispose();
    }
}
