namespace Chorus.Llama.Forge;

/// <summary>Progress of a forge: reported after each tensor is written.</summary>
public sealed record ForgeProgress(string Tensor, int TensorsWritten, int TensorCount, long BytesWritten, long TotalBytes)
{
    public double Fraction => TotalBytes > 0 ? (double)BytesWritten / TotalBytes : 1;
}
