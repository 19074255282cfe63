namespace Chorus.Silo.Services;

/// <summary>
/// The one seed rule of every front end (gRPC, HTTP, and IChatClient through gRPC): a request that gives a seed gets
/// exactly that seed (the same request then gives the same tokens); a request without one gets a fresh seed, so
/// repeated sampled requests differ.
/// </summary>
internal static class RequestSeeds
{
    public static ulong FreshUnlessGiven(ulong? given) => given ?? unchecked((ulong)Random.Shared.NextInt64(long.MinValue, long.MaxValue));
}
