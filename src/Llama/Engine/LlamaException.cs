namespace Chorus.Llama;

/// <summary>Base of every error raised at the llama.cpp boundary; native codes never leak past it.</summary>
public class LlamaException : Exception
{
    public LlamaException(string message) : base(message) { }
    public LlamaException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>A model file could not be loaded: missing, not GGUF, truncated, or an architecture llama.cpp does not know.</summary>
public sealed class ModelLoadException : LlamaException
{
    public ModelLoadException(string path, string reason) : base($"cannot load model '{path}': {reason}")
    {
        ModelPath = path;
        Reason = reason;
    }

    public string ModelPath { get; }
    public string Reason { get; }
}

/// <summary>Tokens do not fit in the sequence's context window.</summary>
public sealed class ContextOverflowException : LlamaException
{
    public ContextOverflowException(int tokens, int contextSize)
        : base($"{tokens} tokens do not fit in the context of {contextSize} tokens per sequence; shorten the text or load the model with a larger context size")
    {
        Tokens = tokens;
        ContextSize = contextSize;
    }

    public int Tokens { get; }
    public int ContextSize { get; }
}

/// <summary>Every sequence slot of a model runner is taken.</summary>
public sealed class NoFreeSequenceException : LlamaException
{
    public NoFreeSequenceException(int maxSequences)
        : base($"all {maxSequences} sequence slots of the model are in use; retry later or configure more parallel sequences") { }
}

/// <summary><c>llama_decode</c> failed.</summary>
public sealed class DecodeException : LlamaException
{
    public DecodeException(int code) : base(Describe(code)) => Code = code;

    public int Code { get; }

    private static string Describe(int code) => code switch
    {
        1 => "llama_decode found no KV-cache slot for the batch (code 1): the context is full; release sequences or use a larger context",
        -1 => "llama_decode rejected the batch as invalid (code -1): token ids out of range or positions not consecutive",
        _ => $"llama_decode failed with code {code}",
    };
}
