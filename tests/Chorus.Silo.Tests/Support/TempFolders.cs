namespace Chorus.Silo.Tests.Support;

internal static class TempFolders
{
    /// <summary>Deletes a test's temp folder; one left behind (a file still open) is harmless.</summary>
    public static void Delete(string directory)
    {
        try
        {
            Directory.Delete(directory, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // harmless
        }
    }
}
