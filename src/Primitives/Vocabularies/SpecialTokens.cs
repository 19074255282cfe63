namespace Chorus.Primitives;

/// <summary>A vocabulary's special tokens by role; −1 where it has none (llama.cpp's LLAMA_TOKEN_NULL).</summary>
public readonly record struct SpecialTokens(int Bos, int Eos, int Eot, int Unknown)
{
    public static SpecialTokens None { get; } = new(-1, -1, -1, -1);

    /// <summary>True when <paramref name="id"/> holds one of the roles.</summary>
    public bool Has(int id) => id >= 0 && (id == Bos || id == Eos || id == Eot || id == Unknown);
}
