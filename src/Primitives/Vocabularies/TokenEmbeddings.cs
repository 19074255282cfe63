namespace Chorus.Primitives;

/// <summary>A member's input token-embedding matrix, row-major |V| × dimension (read from the GGUF by the caller; not copied).</summary>
public sealed class TokenEmbeddings
{
    private readonly float[] _data;

    public TokenEmbeddings(float[] data, int dimension)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if (data.Length % dimension != 0)
            throw new ArgumentException($"embedding data of {data.Length} floats is not a whole number of rows of {dimension}", nameof(data));
        _data = data;
        Dimension = dimension;
    }

    public int Dimension { get; }

    public int Count => _data.Length / Dimension;

    /// <summary>The embedding of token <paramref name="id"/>.</summary>
    public ReadOnlySpan<float> Row(int id) => _data.AsSpan(id * Dimension, Dimension);
}
