namespace LlamaSharpCompare;

/// <summary>One model with its own context and one sequence, driven a token at a time by one thread.</summary>
public interface ITokenDecoder : IDisposable
{
    int VocabularySize { get; }

    /// <summary>Empties the sequence and decodes the prompt into it; returns the argmax of the last row.</summary>
    int Prefill(IReadOnlyList<int> prompt);

    /// <summary>Appends one token and returns the argmax of its logits.</summary>
    int Step(int token);

    /// <summary>Time spent inside the engine's decode call since the last <see cref="Prefill"/> (lock waits included).</summary>
    TimeSpan InDecode { get; }
}
