namespace Chorus.Client;

/// <summary>The root of the <c>chorus</c> command-line tool.</summary>
public static class ChorusCommandLine
{
    public static Task<int> RunAsync(string[] args)
    {
        Console.Error.WriteLine("chorus: no commands yet");
        return Task.FromResult(args.Length == 0 ? 0 : 2);
    }
}
