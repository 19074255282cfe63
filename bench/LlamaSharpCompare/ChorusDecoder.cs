using Chorus.Fusion;
using Chorus.Llama;

namespace LlamaSharpCompare;

/// <summary>Chorus.Llama's side: a <see cref="ModelRunner"/> per model, as a silo's model scheduler drives it.</summary>
public sealed class ChorusDecoder : ITokenDecoder
{
    private readonly LlamaModel _model;
    private readonly ModelRunner _runner;
    private RunnerSequence? _sequence;
    private TimeSpan _decodeAtPrefill;

    public ChorusDecoder(string path, BenchSettings settings)
    {
        LlamaBackend.Initialize();
        _model = LlamaModel.Load(path, new LlamaModelOptions { GpuLayers = 0 });
        _runner = new ModelRunner(_model, new LlamaContextOptions
        {
            ContextSize = settings.ContextSize,
            MaxSequences = 1,
            BatchSize = settings.ContextSize,
            Threads = settings.Threads,
        });
    }

    public static string SystemInfo => LlamaBackend.SystemInfo;

    public int VocabularySize => _model.Vocabulary.Count;

    public TimeSpan InDecode => _runner.DecodeStatistics.DecodeTime - _decodeAtPrefill;

    public int Prefill(IReadOnlyList<int> prompt)
    {
        if (_sequence is not null) _runner.Release(_sequence);
        _sequence = _runner.Open();
        var next = _runner.Append(_sequence, prompt.ToArray(), DistributionRequest.Top(1)).ArgMax();
        _decodeAtPrefill = _runner.DecodeStatistics.DecodeTime;
        return next;
    }

    public int Step(int token) => _runner.Append(_sequence!, [token], DistributionRequest.Top(1)).ArgMax();

    public void Dispose()
    {
        _runner.Dispose();
        _model.Dispose();
    }
}
