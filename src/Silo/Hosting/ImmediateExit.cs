using System.Runtime.InteropServices;

namespace Chorus.Silo;

/// <summary>
/// Ends the process now with a chosen code. <see cref="Environment.Exit(int)"/> cannot be used for a stop that hangs: the
/// generic host's ProcessExit handler waits for the host to finish stopping (twice its shutdown timeout) and then sets the
/// exit code to 0 — exactly what a stop that hangs never does.
/// </summary>
internal static partial class ImmediateExit
{
    public static void Now(int code)
    {
        Console.Out.Flush();
        Console.Error.Flush();
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) Exit(code);
        Environment.Exit(code); // elsewhere: the best the runtime offers
    }

    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void Exit(int status);
}
