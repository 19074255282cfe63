namespace LlamaSharpCompare;

/// <summary>The same settings for both engines: one CPU thread per context, a short prompt, N decoded tokens.</summary>
public sealed record BenchSettings(int Threads = 1, int ContextSize = 512, int PromptTokens = 16, int DecodeTokens = 128);
