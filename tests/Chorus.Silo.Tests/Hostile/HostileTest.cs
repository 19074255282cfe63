namespace Chorus.Silo.Tests.Hostile;

/// <summary>A test of the hostile-client collection: it starts on a running silo even if an earlier test crashed it.</summary>
public abstract class HostileTest(HostileSiloFixture fixture) : IAsyncLifetime
{
    protected HostileSiloFixture Fixture { get; } = fixture;

    public Task InitializeAsync() => Fixture.EnsureRunningAsync();

    public Task DisposeAsync() => Task.CompletedTask;
}
