namespace Chorus.Silo.Tests.Hostile;

/// <summary>A test of the hostile-client collection: it starts on a running silo with every slot free, even if an earlier test crashed it or leaked.</summary>
public abstract class HostileTest(HostileSiloFixture fixture) : IAsyncLifetime
{
    protected HostileSiloFixture Fixture { get; } = fixture;

    public Task InitializeAsync() => Fixture.EnsureCleanAsync();

    public Task DisposeAsync() => Task.CompletedTask;
}
