namespace Chorus.Bench.Gpu;

/// <summary>Placeholder until the GPU check lands; returns failure so it is never mistaken for a pass.</summary>
public static class GpuCheck
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("gpucheck is not implemented yet");
        return Task.FromResult(2);
    }
}
