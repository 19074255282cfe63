namespace Chorus.Silo;

/// <summary>What a silo's exit code tells its supervisor (systemd, Kubernetes, a script).</summary>
public static class SiloExitCodes
{
    /// <summary>Stopped and left the cluster membership (the store recorded it Dead).</summary>
    public const int LeftMembership = 0;

    /// <summary>Start-up refused: a configuration problem or an unusable store, named in one line.</summary>
    public const int ConfigurationError = 2;

    /// <summary>Stopped within its bound without leaving the membership (the store did not answer); the other silos declare it dead through their probes.</summary>
    public const int StoppedWithoutLeaving = 3;
}
